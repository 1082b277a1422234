using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Models;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Reranking;

/// <summary>A loaded reranker: LLamaSharp's <see cref="LLamaReranker"/> (rank pooling) and the limits its context sets.</summary>
public sealed class LoadedReranker(string id, LLamaReranker reranker, int maxPairTokens) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public string Id { get; } = id;

    /// <summary>The most tokens a query and one document may have together.</summary>
    public int MaxPairTokens { get; } = maxPairTokens;

    public int MaxSequences { get; } = (int)reranker.Context.NativeHandle.MaxSeq;

    /// <summary>Tokens as <see cref="LLamaReranker"/> counts them: the query and the document tokenized apart, each with BOS.</summary>
    public int CountTokens(string text) => reranker.Context.Tokenize(text).Length;

    /// <summary>Raw scores (the classification head's logit, as llama-server returns), in document order.</summary>
    public async Task<float[]> ScoreAsync(string query, IReadOnlyList<string> documents, CancellationToken cancellationToken)
    {
        var scores = new List<float>(documents.Count);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // LLamaReranker gives each document of a call its own sequence id: a call holds at most n_seq_max of them.
            for (var first = 0; first < documents.Count; first += MaxSequences)
            {
                var chunk = documents.Skip(first).Take(MaxSequences).ToArray();
                scores.AddRange(await reranker.GetRelevanceScores(query, chunk, normalize: false, cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            _lock.Release();
        }

        return [.. scores];
    }

    public void Dispose()
    {
        reranker.Dispose();
        _lock.Dispose();
    }
}

/// <summary>The reranker named by <c>Inference:RerankModel</c>, loaded at start beside the chat model; none configured: null.</summary>
public sealed class RerankService : IHostedService, IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    public RerankService(ModelManager models, IOptions<InferenceOptions> options, ILoggerFactory loggerFactory, ILogger<RerankService> logger)
    {
        _loggerFactory = loggerFactory;
        var settings = options.Value;
        Model = new AuxiliaryModel<LoadedReranker>(nameof(InferenceOptions.RerankModel), settings.RerankModel, models.Catalog, settings, logger, (file, weights) =>
        {
            // n_ctx is padded to 256 by llama.cpp; a batch as large as the context must also fit n_batch.
            var tokens = (uint)((settings.EmbeddingBatchSize + 255) / 256 * 256);
            var parameters = new ModelParams(file.Path)
            {
                ContextSize = tokens,
                BatchSize = tokens,
                UBatchSize = tokens,
                SeqMax = (uint)settings.EmbeddingMaxSequences,
                KVUnified = true,
                Threads = settings.EffectiveThreads,
                BatchThreads = settings.EffectiveBatchThreads,
                GpuLayerCount = settings.GpuLayerCount < 0 ? int.MaxValue : settings.GpuLayerCount,
                Embeddings = true,
                PoolingType = LLamaPoolingType.Rank,
            };
            var trained = weights.ContextSize > 0 ? weights.ContextSize : (int)tokens;
            return new LoadedReranker(file.Id, new LLamaReranker(weights, parameters), Math.Min(trained, (int)tokens));
        });
    }

    public AuxiliaryModel<LoadedReranker> Model { get; }

    public Task<(LoadedReranker? Model, OpenAiErrorResult? Error)> GetAsync(CancellationToken cancellationToken) => Model.GetAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        LlamaNativeLogging.Configure(_loggerFactory);
        if (Model.File is not null)
        {
            _ = Model.StartLoading().ContinueWith(static task => _ = task.Exception, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => Model.DisposeAsync();
}
