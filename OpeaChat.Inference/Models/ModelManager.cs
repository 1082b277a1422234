using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using LLama;
using LLama.Common;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Models;

public enum ModelStatus
{
    NoModel,
    NotLoaded,
    Loading,
    Ready,
    Failed,
}

/// <summary>What a model can do right now; <see cref="Message"/> tells a person what is wrong and what to do.</summary>
public sealed record ModelState(ModelStatus Status, string? ModelId, string? Message, double Progress);

/// <summary>
/// Loads models in the background (the default one at start, others when asked for), keeps at most
/// <see cref="InferenceOptions.MaxLoadedModels"/> in memory, and unloads the least recently used to make room.
/// </summary>
public sealed partial class ModelManager : BackgroundService
{
    private readonly ModelCatalog _catalog;
    private readonly InferenceOptions _options;
    private readonly InferenceMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ModelManager> _logger;
    private readonly ConcurrentDictionary<string, ModelSlot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _slotsLock = new();
    // Never disposed: a load started during shutdown may still read its token, and it holds no timer.
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, (long Tokens, long Timestamp)> _rateSamples = new(StringComparer.Ordinal);

    public ModelManager(ModelCatalog catalog, IOptions<InferenceOptions> options, InferenceMetrics metrics, ILoggerFactory loggerFactory, ILogger<ModelManager> logger,
        IHostApplicationLifetime lifetime)
    {
        // Running replies end at once when the server stops, so the web server's drain does not wait for long generations.
        lifetime.ApplicationStopping.Register(() =>
        {
            foreach (var model in Loaded())
            {
                _ = model.Engine.DrainAndDisposeAsync(TimeSpan.Zero);
            }
        });
        _catalog = catalog;
        _options = options.Value;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = logger;
        metrics.ObserveWith(
            () => Loaded().Select(model => new Measurement<int>(model.Engine.Status.ActiveSequences, Tag(model.Id))),
            () => Loaded().Select(model => new Measurement<int>(model.Engine.Status.QueuedRequests, Tag(model.Id))),
            () => Loaded().Select(model => new Measurement<int>(model.Engine.Status.KvCellsUsed, Tag(model.Id))),
            () => _slots.Values.Where(slot => !slot.Loading.IsCompleted).Select(slot => new Measurement<double>(slot.Progress, Tag(slot.File.Id))),
            () => Loaded().Select(model => new Measurement<double>(TokensPerSecond(model), Tag(model.Id))));
    }

    public ModelCatalog Catalog => _catalog;

    /// <summary>The state of the default model, which is what readiness reports.</summary>
    public ModelState DefaultState
    {
        get
        {
            if (_catalog.DefaultModel is not { } file)
            {
                return new ModelState(ModelStatus.NoModel, null, _catalog.DefaultModelProblem, 0);
            }

            return StateOf(file.Id);
        }
    }

    public ModelState StateOf(string id)
    {
        if (!_slots.TryGetValue(id, out var slot))
        {
            return new ModelState(ModelStatus.NotLoaded, id, $"The model {id} is not loaded.", 0);
        }

        if (!slot.Loading.IsCompleted)
        {
            return new ModelState(ModelStatus.Loading, id, $"The model {id} is loading ({slot.Progress:P0}).", slot.Progress);
        }

        return slot.Loading.IsCompletedSuccessfully
            ? new ModelState(ModelStatus.Ready, id, null, 1)
            : new ModelState(ModelStatus.Failed, id, slot.FailureMessage, 0);
    }

    /// <summary>The loaded model with this id, or null while it is not loaded.</summary>
    public LoadedModel? TryGetLoaded(string id)
    {
        if (_slots.TryGetValue(id, out var slot) && slot.Loading.IsCompletedSuccessfully)
        {
            slot.LastUsed = Stopwatch.GetTimestamp();
            return slot.Loading.Result;
        }

        return null;
    }

    public IEnumerable<LoadedModel> Loaded() =>
        _slots.Values.Where(slot => slot.Loading.IsCompletedSuccessfully).Select(slot => slot.Loading.Result);

    /// <summary>Starts loading a model (if it is not loaded or loading), unloading the least recently used beyond the limit.</summary>
    public Task<LoadedModel> LoadAsync(ModelFile file)
    {
        ModelSlot slot;
        List<ModelSlot> evicted = [];
        lock (_slotsLock)
        {
            if (_slots.TryGetValue(file.Id, out var existing) && !existing.Loading.IsFaulted)
            {
                existing.LastUsed = Stopwatch.GetTimestamp();
                return existing.Loading;
            }

            while (_slots.Count >= _options.MaxLoadedModels)
            {
                var oldest = _slots.Values.OrderBy(candidate => candidate.LastUsed).First();
                _slots.TryRemove(oldest.File.Id, out _);
                evicted.Add(oldest);
            }

            slot = new ModelSlot(file);
            _slots[file.Id] = slot;
            slot.Loading = LoadCoreAsync(slot);
        }

        foreach (var old in evicted)
        {
            _ = UnloadSlotAsync(old, "to make room for " + file.Id);
        }

        return slot.Loading;
    }

    /// <summary>Unloads a model; returns false when it was not loaded.</summary>
    public async Task<bool> UnloadAsync(string id)
    {
        ModelSlot? slot;
        lock (_slotsLock)
        {
            if (!_slots.TryRemove(id, out slot))
            {
                return false;
            }
        }

        await UnloadSlotAsync(slot, "on request");
        return true;
    }

    private async Task UnloadSlotAsync(ModelSlot slot, string reason)
    {
        try
        {
            var model = await slot.Loading;
            LogUnloading(slot.File.Id, reason);
            await model.Engine.DrainAndDisposeAsync(_options.UnloadDrainTimeout);
            await model.DisposeAsync();
        }
#pragma warning disable CA1031 // A model that failed to load has nothing to unload.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task<LoadedModel> LoadCoreAsync(ModelSlot slot)
    {
        await Task.Yield();
        var file = slot.File;
        var parameters = new ModelParams(file.Path)
        {
            ContextSize = _options.ContextSize > 0 ? (uint)_options.ContextSize : null,
            BatchSize = (uint)_options.BatchSize,
            Threads = _options.EffectiveThreads,
            BatchThreads = _options.EffectiveBatchThreads,
            GpuLayerCount = _options.GpuLayerCount < 0 ? int.MaxValue : _options.GpuLayerCount,
            // One KV pool shared by running requests and cached prefixes, with a sequence id for each.
            SeqMax = (uint)(_options.MaxParallelSequences + _options.PrefixCacheSlots),
            KVUnified = true,
            FlashAttention = _options.FlashAttention ? true : null,
        };

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
            var weights = await LLamaWeights.LoadFromFileAsync(parameters, _stopping.Token, progress);
            if (parameters.ContextSize is null)
            {
                parameters.ContextSize = (uint)weights.ContextSize;
            }

            var model = new LoadedModel(file, weights, parameters, _options, _metrics, _loggerFactory.CreateLogger<LoadedModel>());
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        LlamaNativeLogging.Configure(_loggerFactory);
        if (_catalog.DefaultModel is not { } file)
        {
            LogNoModel(_catalog.DefaultModelProblem!);
            return;
        }

        try
        {
            LlamaNativeLogging.LogSystemInfo(_logger);
            await LoadAsync(file).WaitAsync(stoppingToken);
        }
#pragma warning disable CA1031 // The failure is kept as the model's state and reported by /health.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        foreach (var slot in _slots.Values)
        {
            if (slot.Loading.IsCompletedSuccessfully)
            {
                await slot.Loading.Result.DisposeAsync();
            }
        }

        _slots.Clear();
    }

    private double TokensPerSecond(LoadedModel model)
    {
        var now = Stopwatch.GetTimestamp();
        var tokens = model.Engine.Status.GeneratedTokens;
        var previous = _rateSamples.TryGetValue(model.Id, out var sample) ? sample : (Tokens: tokens, Timestamp: now);
        _rateSamples[model.Id] = (tokens, now);
        var seconds = Stopwatch.GetElapsedTime(previous.Timestamp, now).TotalSeconds;
        return seconds > 0 ? (tokens - previous.Tokens) / seconds : 0;
    }

    private static KeyValuePair<string, object?> Tag(string model) => new("gen_ai.request.model", model);

    private sealed class ModelSlot(ModelFile file)
    {
        public ModelFile File { get; } = file;
        public Task<LoadedModel> Loading { get; set; } = Task.FromException<LoadedModel>(new InvalidOperationException("Not started."));
        public double Progress { get; set; }
        public long LastUsed { get; set; } = Stopwatch.GetTimestamp();
        public string? FailureMessage { get; set; }
    }

    /// <summary>Reports progress on the loader's thread; <see cref="Progress{T}"/> would post late updates after the load ends.</summary>
    private sealed class SynchronousProgress(Action<float> report) : IProgress<float>
    {
        public void Report(float value) => report(value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    private partial void LogNoModel(string problem);

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloading model {ModelId} {Reason}")]
    private partial void LogUnloading(string modelId, string reason);
}
