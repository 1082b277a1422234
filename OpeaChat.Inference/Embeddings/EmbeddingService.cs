using Microsoft.Extensions.Options;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Models;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Embeddings;

/// <summary>
/// Decides which model embeds a request: the dedicated embedding model (<c>Inference:EmbeddingModel</c>, loaded with
/// an embeddings-only context at start), a chat model the request names, or, with no embedding model configured, the
/// default chat model, which it warns about once at start and in <c>/v1/models</c>.
/// </summary>
public sealed partial class EmbeddingService : IHostedService, IAsyncDisposable
{
    public const string NoEmbeddingModelWarning =
        "No embedding model is configured (Inference:EmbeddingModel): /v1/embeddings uses the chat model's hidden states, " +
        "which retrieve poorly. Set Inference:EmbeddingModel to an embedding GGUF such as bge-small-en-v1.5 (see docs/models.md).";

    private readonly ModelManager _models;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<EmbeddingService> _logger;

    public EmbeddingService(ModelManager models, IOptions<InferenceOptions> options, ILoggerFactory loggerFactory, ILogger<EmbeddingService> logger)
    {
        _models = models;
        _loggerFactory = loggerFactory;
        _logger = logger;
        var settings = options.Value;
        var embedderSettings = new EmbedderSettings(settings.EmbeddingBatchSize, settings.EmbeddingMaxSequences, settings.EffectiveThreads, settings.EffectiveBatchThreads,
            settings.GpuLayerCount < 0 ? int.MaxValue : settings.GpuLayerCount);
        Dedicated = new AuxiliaryModel<BatchedEmbedder>(nameof(InferenceOptions.EmbeddingModel), settings.EmbeddingModel, models.Catalog, settings, logger,
            (file, weights) => new BatchedEmbedder(file.Id, file.Path, weights,
                Math.Min(weights.ContextSize > 0 ? weights.ContextSize : settings.EmbeddingBatchSize, settings.EmbeddingBatchSize), embedderSettings));
    }

    /// <summary>The configured embedding model; when it names the default chat model, that model serves embeddings itself.</summary>
    public AuxiliaryModel<BatchedEmbedder> Dedicated { get; }

    private bool DedicatedIsChatModel => Dedicated.File is { } file && _models.Catalog.DefaultModel?.Path == file.Path;

    /// <summary>The id of the model a request naming none gets.</summary>
    public string? DefaultModelId => Dedicated.Configured && !DedicatedIsChatModel
        ? Dedicated.File?.Id
        : _models.Catalog.DefaultModel?.Id;

    /// <summary>What /v1/models warns about: no embedding model, or one that cannot be used.</summary>
    public string? Warning => !Dedicated.Configured ? NoEmbeddingModelWarning : Dedicated.Problem;

    /// <summary>The embedder for a request's <c>model</c> (null: the default), or the error to answer.</summary>
    public async Task<(BatchedEmbedder? Embedder, OpenAiErrorResult? Error)> ResolveAsync(string? requestedModel, CancellationToken cancellationToken)
    {
        var wantsDefault = string.IsNullOrEmpty(requestedModel) || requestedModel == Dedicated.File?.Id;
        if (wantsDefault && Dedicated.Configured && !DedicatedIsChatModel)
        {
            return await Dedicated.GetAsync(cancellationToken).ConfigureAwait(false);
        }

        var (model, unavailable) = ModelAvailability.Resolve(_models, wantsDefault ? null : requestedModel);
        return (model?.Embedder, unavailable);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        LlamaNativeLogging.Configure(_loggerFactory);
        if (!Dedicated.Configured)
        {
            LogNoEmbeddingModel(NoEmbeddingModelWarning);
        }
        else if (Dedicated.Problem is { } problem)
        {
            LogBadSetting(problem);
        }
        else if (!DedicatedIsChatModel)
        {
            // Loaded beside the chat model at start, so the first document upload does not wait for it.
            _ = Dedicated.StartLoading().ContinueWith(static task => _ = task.Exception, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => Dedicated.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogNoEmbeddingModel(string warning);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem}")]
    private partial void LogBadSetting(string problem);
}
