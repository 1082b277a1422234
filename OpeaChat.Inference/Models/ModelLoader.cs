using System.Diagnostics;
using LLama;
using LLama.Common;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Models;

/// <summary>
/// Loads one model file into a <see cref="LoadedModel"/>: checks that its KV cache fits in memory, builds its
/// parameters from the options, loads the weights reporting progress, and says what went wrong when it fails.
/// </summary>
public sealed partial class ModelLoader(IOptions<InferenceOptions> options, InferenceMetrics metrics, ILoggerFactory loggerFactory, ILogger<ModelLoader> logger)
{
    private readonly InferenceOptions _options = options.Value;
    private readonly ILogger<ModelLoader> _logger = logger;

    /// <summary>
    /// Loads the weights and, where <see cref="ModelParams.ContextSize"/> was left to the model (0 in the options), sets
    /// it to the model's trained context length, so that the context made from <paramref name="parameters"/> has a size.
    /// </summary>
    public static async Task<LLamaWeights> LoadWeightsAsync(ModelParams parameters, IProgress<float>? progress, CancellationToken cancellationToken)
    {
        var weights = await LLamaWeights.LoadFromFileAsync(parameters, cancellationToken, progress).ConfigureAwait(false);
        parameters.ContextSize ??= (uint)weights.ContextSize;
        return weights;
    }

    /// <summary>Loads the slot's model, keeping its progress and, on failure, the message for a person in the slot.</summary>
    internal async Task<LoadedModel> LoadAsync(ModelSlot slot, CancellationToken cancellationToken)
    {
        var file = slot.File;
        var parameters = ModelParameters.Create(file.Path, _options);
        if (_options.GpuLayerCount == 0 && CheckKvCacheFits(file.Path) is { } tooLarge)
        {
            // Everything on the CPU: a cache larger than memory would be promised now and crash the first request.
            slot.FailureMessage = tooLarge;
            LogKvCacheTooLarge(file.Path, tooLarge);
            throw new InvalidOperationException(tooLarge);
        }

        LogLoading(file.Id, file.Path, file.SizeBytes / (1024.0 * 1024.0));
        var stopwatch = Stopwatch.StartNew();
        var lastLoggedTenth = -1;
        var progress = new SynchronousProgress(fraction =>
        {
            slot.Progress = fraction;
            var tenth = (int)(fraction * 10);
            if (tenth > lastLoggedTenth)
            {
                lastLoggedTenth = tenth;
                LogLoadProgress(file.Id, fraction);
            }
        });

        try
        {
            var weights = await LoadWeightsAsync(parameters, progress, cancellationToken);
            var model = new LoadedModel(file, weights, parameters, _options, metrics, loggerFactory.CreateLogger<LoadedModel>());
            LogLoaded(file.Id, stopwatch.Elapsed.TotalSeconds, model.ContextSize, _options.MaxParallelSequences,
                model.SequenceContextSize, model.Formatter.TemplateName, _options.EffectiveThreads, _options.GpuLayerCount);
            return model;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            slot.FailureMessage = $"Could not load the model {file.Path}: {exception.Message.TrimEnd('.')}. " +
                "Check that the file is a complete GGUF model, that it fits in memory (see docs/models.md), " +
                "and lower Inference:ContextSize or Inference:GpuLayerCount if memory is short.";
            LogLoadFailed(exception, file.Path);
            throw;
        }
    }

    private string? CheckKvCacheFits(string path)
    {
        if (GgufFile.TryRead(path) is not { } header)
        {
            return null; // An unreadable header: llama.cpp's own load says what is wrong with the file.
        }

        var context = _options.ContextSize > 0 ? _options.ContextSize : header.GetArchitectureInteger("context_length") ?? 0;
        return context <= 0 ? null : KvCacheBudget.Check(KvCacheBudget.EstimateBytes(header, context), context, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    /// <summary>Reports progress on the loader's thread; <see cref="Progress{T}"/> would post late updates after the load ends.</summary>
    private sealed class SynchronousProgress(Action<float> report) : IProgress<float>
    {
        public void Report(float value) => report(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {ModelId} from {ModelPath} ({SizeMiB:F1} MiB)")]
    private partial void LogLoading(string modelId, string modelPath, double sizeMiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {ModelId}: {Progress:P0}")]
    private partial void LogLoadProgress(string modelId, float progress);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Model {ModelId} ready in {Seconds:F2} s: context {ContextSize} tokens shared by {Sequences} sequences ({SequenceContext} each), template {Template}, {Threads} threads, GPU layers requested {GpuLayers} (-1 = all)")]
    private partial void LogLoaded(string modelId, double seconds, int contextSize, int sequences, int sequenceContext, string template, int threads, int gpuLayers);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load the model {ModelPath}")]
    private partial void LogLoadFailed(Exception exception, string modelPath);

    [LoggerMessage(Level = LogLevel.Error, Message = "Not loading {ModelPath}: {Reason}")]
    private partial void LogKvCacheTooLarge(string modelPath, string reason);
}
