using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Models;

/// <summary>
/// The per-model gauges (running and queued requests, KV cells used, load progress, generated tokens per second),
/// read from the models the manager holds whenever the metrics are collected.
/// </summary>
internal sealed class ModelGauges
{
    private readonly ConcurrentDictionary<string, (long Tokens, long Timestamp)> _rateSamples = new(StringComparer.Ordinal);

    private ModelGauges()
    {
    }

    /// <summary>Has <paramref name="metrics"/> read its gauges from the loaded models and the loads still running.</summary>
    public static void Observe(InferenceMetrics metrics, Func<IEnumerable<LoadedModel>> loaded, Func<IEnumerable<ModelSlot>> loading)
    {
        var gauges = new ModelGauges();
        metrics.ObserveWith(
            () => loaded().Select(model => new Measurement<int>(model.Engine.Status.ActiveSequences, Tag(model.Id))),
            () => loaded().Select(model => new Measurement<int>(model.Engine.Status.QueuedRequests, Tag(model.Id))),
            () => loaded().Select(model => new Measurement<int>(model.Engine.Status.KvCellsUsed, Tag(model.Id))),
            () => loading().Select(slot => new Measurement<double>(slot.Progress, Tag(slot.File.Id))),
            () => loaded().Select(model => new Measurement<double>(gauges.TokensPerSecond(model), Tag(model.Id))));
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
}
