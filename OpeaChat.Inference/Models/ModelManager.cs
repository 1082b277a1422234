using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Models;

/// <summary>
/// Keeps the set of loaded models: loads the default one at start and others when asked for (through
/// <see cref="ModelLoader"/>), keeps at most <see cref="InferenceOptions.MaxLoadedModels"/> in memory, unloads the
/// least recently used to make room, and says what state each model is in.
/// </summary>
public sealed partial class ModelManager : BackgroundService
{
    private readonly ModelCatalog _catalog;
    private readonly ModelLoader _loader;
    private readonly InferenceOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ModelManager> _logger;
    private readonly ConcurrentDictionary<string, ModelSlot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _slotsLock = new();
    // Never disposed: a load started during shutdown may still read its token, and it holds no timer.
    private readonly CancellationTokenSource _stopping = new();

    public ModelManager(ModelCatalog catalog, ModelLoader loader, IOptions<InferenceOptions> options, InferenceMetrics metrics, ILoggerFactory loggerFactory,
        ILogger<ModelManager> logger, IHostApplicationLifetime lifetime)
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
        _loader = loader;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = logger;
        ModelGauges.Observe(metrics, Loaded, () => _slots.Values.Where(slot => !slot.Loading.IsCompleted));
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

    public ModelState StateOf(string id) =>
        _slots.TryGetValue(id, out var slot) ? slot.State : new ModelState(ModelStatus.NotLoaded, id, $"The model {id} is not loaded.", 0);

    /// <summary>The loaded model with this id, or null while it is not loaded.</summary>
    public LoadedModel? TryGetLoaded(string id)
    {
        if (_slots.TryGetValue(id, out var slot) && slot.Loading.IsCompletedSuccessfully)
        {
            slot.Touch();
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
                existing.Touch();
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
            slot.Loading = LoadSlotAsync(slot);
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

    /// <summary>Loads off the caller's thread, so that <see cref="LoadAsync"/> returns while its lock is held briefly.</summary>
    private async Task<LoadedModel> LoadSlotAsync(ModelSlot slot)
    {
        await Task.Yield();
        return await _loader.LoadAsync(slot, _stopping.Token);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    private partial void LogNoModel(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloading model {ModelId} {Reason}")]
    private partial void LogUnloading(string modelId, string reason);
}
