using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpeaChat.Inference.Telemetry;

/// <summary>
/// The model server's instruments (meter <c>OpeaChat.Inference</c>) and its trace source. The Aspire dashboard shows
/// both; names follow OpenTelemetry's gen_ai conventions where one exists.
/// </summary>
public sealed class InferenceMetrics : IDisposable
{
    public const string MeterName = "OpeaChat.Inference";
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Meter _meter;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _timePerOutputToken;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<long> _promptTokens;
    private readonly Histogram<long> _completionTokens;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _generatedTokens;
    private readonly Counter<long> _cachedPromptTokens;
    private Func<IEnumerable<Measurement<int>>> _activeSequences = () => [];
    private Func<IEnumerable<Measurement<int>>> _queuedRequests = () => [];
    private Func<IEnumerable<Measurement<int>>> _kvCellsUsed = () => [];
    private Func<IEnumerable<Measurement<double>>> _loadProgress = () => [];
    private Func<IEnumerable<Measurement<double>>> _tokensPerSecond = () => [];

    public InferenceMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _timeToFirstToken = _meter.CreateHistogram<double>("gen_ai.server.time_to_first_token", "s", "Time from a request's arrival to its first generated token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] });
        _timePerOutputToken = _meter.CreateHistogram<double>("gen_ai.server.time_per_output_token", "s", "Mean time between generated tokens of one request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5] });
        _requestDuration = _meter.CreateHistogram<double>("gen_ai.server.request.duration", "s", "Time from a request's arrival to its last token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _promptTokens = _meter.CreateHistogram<long>("opeachat.inference.prompt_tokens", "{token}", "Prompt tokens per request.");
        _completionTokens = _meter.CreateHistogram<long>("opeachat.inference.completion_tokens", "{token}", "Generated tokens per request.");
        _rejected = _meter.CreateCounter<long>("opeachat.inference.rejected_requests", "{request}", "Requests turned away because the queue was full.");
        _generatedTokens = _meter.CreateCounter<long>("opeachat.inference.generated_tokens", "{token}", "Tokens generated.");
        _cachedPromptTokens = _meter.CreateCounter<long>("opeachat.inference.cached_prompt_tokens", "{token}", "Prompt tokens reused from the KV cache instead of evaluated.");
        _meter.CreateObservableGauge("opeachat.inference.active_sequences", () => _activeSequences(), "{sequence}", "Requests decoding now.");
        _meter.CreateObservableGauge("opeachat.inference.queued_requests", () => _queuedRequests(), "{request}", "Requests waiting for a free sequence.");
        _meter.CreateObservableGauge("opeachat.inference.kv_cells_used", () => _kvCellsUsed(), "{cell}", "KV-cache cells in use (tokens held).");
        _meter.CreateObservableGauge("opeachat.inference.model_load_progress", () => _loadProgress(), "1", "Load progress of models being loaded (0 to 1).");
        _meter.CreateObservableGauge("opeachat.inference.tokens_per_second", () => _tokensPerSecond(), "{token}/s", "Tokens generated per second over the last few seconds.");
    }

    /// <summary>Lets the model manager supply the gauges' current values (one measurement per model).</summary>
    public void ObserveWith(
        Func<IEnumerable<Measurement<int>>> activeSequences,
        Func<IEnumerable<Measurement<int>>> queuedRequests,
        Func<IEnumerable<Measurement<int>>> kvCellsUsed,
        Func<IEnumerable<Measurement<double>>> loadProgress,
        Func<IEnumerable<Measurement<double>>> tokensPerSecond)
    {
        _activeSequences = activeSequences;
        _queuedRequests = queuedRequests;
        _kvCellsUsed = kvCellsUsed;
        _loadProgress = loadProgress;
        _tokensPerSecond = tokensPerSecond;
    }

    public void RecordRejected(string model) => _rejected.Add(1, new KeyValuePair<string, object?>("gen_ai.request.model", model));

    public void RecordFirstToken(string model, TimeSpan elapsed) =>
        _timeToFirstToken.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("gen_ai.request.model", model));

    public void RecordToken(string model) => _generatedTokens.Add(1, new KeyValuePair<string, object?>("gen_ai.request.model", model));

    public void RecordCompleted(string model, string finishReason, int promptTokens, int cachedTokens, int completionTokens, TimeSpan duration, TimeSpan? decodeTime)
    {
        var tags = new TagList { { "gen_ai.request.model", model }, { "gen_ai.response.finish_reason", finishReason } };
        _requestDuration.Record(duration.TotalSeconds, tags);
        _promptTokens.Record(promptTokens, tags);
        _completionTokens.Record(completionTokens, tags);
        if (cachedTokens > 0)
        {
            _cachedPromptTokens.Add(cachedTokens, new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }

        if (completionTokens > 1 && decodeTime is { } time)
        {
            _timePerOutputToken.Record(time.TotalSeconds / (completionTokens - 1), tags);
        }
    }

    public void Dispose() => _meter.Dispose();
}
