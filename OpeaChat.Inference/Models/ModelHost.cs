using System.Diagnostics;
using LLama;
using LLama.Common;
using Microsoft.Extensions.Options;

namespace OpeaChat.Inference.Models;

public enum ModelStatus
{
    NoModel,
    Loading,
    Ready,
    Failed,
}

/// <summary>What the server can do right now; <see cref="Message"/> tells a person what is wrong and what to do.</summary>
public sealed record ModelState(ModelStatus Status, string? ModelId, string? Message, double Progress);

/// <summary>
/// Loads the model in the background at start (so /alive answers at once and /health reports progress),
/// then keeps it for the life of the process.
/// </summary>
public sealed partial class ModelHost(IOptions<InferenceOptions> options, ILoggerFactory loggerFactory, ILogger<ModelHost> logger) : BackgroundService
{
    private readonly InferenceOptions _options = options.Value;
    private volatile ModelState _state = new(ModelStatus.Loading, null, "Looking for the model.", 0);
    private volatile LoadedModel? _model;

    public ModelState State => _state;

    /// <summary>The model, once <see cref="State"/> is <see cref="ModelStatus.Ready"/>.</summary>
    public LoadedModel? Model => _model;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        LlamaNativeLogging.Configure(loggerFactory);
        var resolution = ModelFileResolver.Resolve(_options);
        if (resolution.Path is null)
        {
            _state = new ModelState(ModelStatus.NoModel, null, resolution.Problem, 0);
            LogNoModel(resolution.Problem!);
            return;
        }

        var id = Path.GetFileNameWithoutExtension(resolution.Path);
        _state = new ModelState(ModelStatus.Loading, id, $"Loading model {id}.", 0);
        var parameters = new ModelParams(resolution.Path)
        {
            ContextSize = _options.ContextSize > 0 ? (uint)_options.ContextSize : null,
            BatchSize = (uint)_options.BatchSize,
            Threads = _options.EffectiveThreads,
            BatchThreads = _options.EffectiveBatchThreads,
            GpuLayerCount = _options.GpuLayerCount < 0 ? int.MaxValue : _options.GpuLayerCount,
            SeqMax = (uint)_options.MaxParallelSequences,
        };

        LogLoading(id, resolution.Path, new FileInfo(resolution.Path).Length / (1024.0 * 1024.0));
        LlamaNativeLogging.LogSystemInfo(logger);
        var stopwatch = Stopwatch.StartNew();
        var lastLoggedTenth = -1;
        var progress = new Progress<float>(fraction =>
        {
            _state = _state with { Progress = fraction };
            var tenth = (int)(fraction * 10);
            if (tenth > lastLoggedTenth)
            {
                lastLoggedTenth = tenth;
                LogLoadProgress(id, fraction);
            }
        });

        try
        {
            var weights = await LLamaWeights.LoadFromFileAsync(parameters, stoppingToken, progress);
            _model = new LoadedModel(id, resolution.Path, weights, parameters, _options, logger);
            _state = new ModelState(ModelStatus.Ready, id, null, 1);
            LogLoaded(id, stopwatch.Elapsed.TotalSeconds, _model.ContextSize, _options.MaxParallelSequences,
                _model.SequenceContextSize, _model.Formatter.TemplateName, _options.EffectiveThreads);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down while loading.
        }
#pragma warning disable CA1031 // Any load failure becomes an unhealthy state with its reason, never a crash.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var message = $"Could not load the model {resolution.Path}: {exception.Message} " +
                "Check that the file is a complete GGUF model, that it fits in memory (see docs/models.md), " +
                "and lower Inference:ContextSize or Inference:GpuLayerCount if memory is short.";
            _state = new ModelState(ModelStatus.Failed, id, message, 0);
            LogLoadFailed(exception, resolution.Path);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_model is { } model)
        {
            _model = null;
            await model.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    private partial void LogNoModel(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {ModelId} from {ModelPath} ({SizeMiB:F1} MiB)")]
    private partial void LogLoading(string modelId, string modelPath, double sizeMiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {ModelId}: {Progress:P0}")]
    private partial void LogLoadProgress(string modelId, float progress);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Model {ModelId} ready in {Seconds:F2} s: context {ContextSize} tokens split across {Sequences} sequences ({SequenceContext} each), template {Template}, {Threads} threads")]
    private partial void LogLoaded(string modelId, double seconds, int contextSize, int sequences, int sequenceContext, string template, int threads);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load the model {ModelPath}")]
    private partial void LogLoadFailed(Exception exception, string modelPath);
}
