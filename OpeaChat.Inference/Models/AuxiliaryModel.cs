using LLama;
using LLama.Common;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Models;

/// <summary>
/// A model loaded for one job beside the chat model (the embedding model, the reranker): named by a setting, loaded
/// once on first need (or when the service starts), outside the chat models' loaded set so that it never evicts them.
/// A failed load stays failed, with its reason, until the service restarts with the setting fixed.
/// </summary>
public sealed class AuxiliaryModel<T> : IAsyncDisposable
    where T : class, IDisposable
{
    private readonly Func<ModelFile, LLamaWeights, T> _create;
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<T>? _loading;
    private LLamaWeights? _weights;

    public AuxiliaryModel(string setting, string? value, ModelCatalog catalog, InferenceOptions options, ILogger logger, Func<ModelFile, LLamaWeights, T> create)
    {
        Setting = setting;
        _options = options;
        _logger = logger;
        _create = create;
        if (!string.IsNullOrWhiteSpace(value))
        {
            File = catalog.FindByIdOrPath(value);
            Problem = File is null
                ? $"Inference:{setting} is '{value}', which is neither a model id in {catalog.ModelsDirectory} nor an existing GGUF file. Fix the setting and restart."
                : null;
        }
    }

    /// <summary>The option's name under <c>Inference:</c>.</summary>
    public string Setting { get; }

    /// <summary>The configured file (or the one adopted after a pull); null when the setting is empty or names nothing.</summary>
    public ModelFile? File { get; private set; }

    /// <summary>Takes a pulled model as this job's model when the setting is empty; false when one is configured.</summary>
    public bool TryAdopt(ModelFile file)
    {
        lock (_lock)
        {
            if (Configured || _loading is not null)
            {
                return false;
            }

            File = file;
            return true;
        }
    }

    /// <summary>What is wrong with the setting or the load, for a person.</summary>
    public string? Problem { get; private set; }

    public bool Configured => File is not null || Problem is not null;

    public bool Loaded => _loading is { IsCompletedSuccessfully: true };

    /// <summary>The loaded model, or the 503 that says why there is none (null, null: nothing is configured).</summary>
    public async Task<(T? Model, OpenAiErrorResult? Error)> GetAsync(CancellationToken cancellationToken)
    {
        if (File is null)
        {
            return (null, Problem is null ? null : OpenAiErrors.Unavailable(Problem, "model_not_configured", null));
        }

        try
        {
            return (await StartLoading().WaitAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return (null, OpenAiErrors.Unavailable(Problem ?? exception.Message, "model_load_failed", null));
        }
    }

    /// <summary>Starts the load if it has not started; the task ends when the model is ready.</summary>
    public Task<T> StartLoading()
    {
        lock (_lock)
        {
            return _loading ??= Task.Run(Load);
        }
    }

    private T Load()
    {
        var file = File!;
        try
        {
            AuxiliaryModelLog.Loading(_logger, Setting, file.Id, file.Path);
            _weights = LLamaWeights.LoadFromFile(new ModelParams(file.Path)
            {
                GpuLayerCount = _options.GpuLayerCount < 0 ? int.MaxValue : _options.GpuLayerCount,
            });
            var model = _create(file, _weights);
            AuxiliaryModelLog.Loaded(_logger, Setting, file.Id, _weights.Metadata.GetValueOrDefault("general.architecture") ?? "?");
            return model;
        }
        catch (Exception exception)
        {
            Problem = $"Could not load {file.Path} (Inference:{Setting}): {exception.Message.TrimEnd('.')}. Check that it is a complete GGUF file of a model llama.cpp supports.";
            AuxiliaryModelLog.LoadFailed(_logger, exception, Setting, file.Path);
            _weights?.Dispose();
            _weights = null;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<T>? loading;
        lock (_lock)
        {
            loading = _loading;
        }

        if (loading is not null)
        {
            try
            {
                (await loading.ConfigureAwait(false)).Dispose();
            }
#pragma warning disable CA1031 // A failed load has nothing to dispose.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        _weights?.Dispose();
    }
}

internal static partial class AuxiliaryModelLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Loading {Setting} {ModelId} from {ModelPath}")]
    public static partial void Loading(ILogger logger, string setting, string modelId, string modelPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Setting} {ModelId} ready (architecture {Architecture})")]
    public static partial void Loaded(ILogger logger, string setting, string modelId, string architecture);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load {Setting} from {ModelPath}")]
    public static partial void LoadFailed(ILogger logger, Exception exception, string setting, string modelPath);
}
