using System.Diagnostics.Metrics;

namespace OpeaChat.ChatQnA.Telemetry;

/// <summary>
/// OPEA's gateway statistics as OpenTelemetry instruments (meter <c>OpeaChat.ChatQnA</c>): first-token latency,
/// inter-token latency, request latency and pending requests, plus the response cache's hits and misses.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "OpeaChat.ChatQnA";

    private readonly Meter _meter;
    private readonly Histogram<double> _firstTokenLatency;
    private readonly Histogram<double> _interTokenLatency;
    private readonly Histogram<double> _requestLatency;
    private readonly UpDownCounter<long> _pendingRequests;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _firstTokenLatency = _meter.CreateHistogram<double>("opeachat.chatqna.first_token_latency", "s", "Time from a chat request to its first token, seen at the gateway.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] });
        _interTokenLatency = _meter.CreateHistogram<double>("opeachat.chatqna.inter_token_latency", "s", "Mean time between tokens of one reply, seen at the gateway.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5] });
        _requestLatency = _meter.CreateHistogram<double>("opeachat.chatqna.request_latency", "s", "Time from a chat request to its last token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _pendingRequests = _meter.CreateUpDownCounter<long>("opeachat.chatqna.pending_requests", "{request}", "Chat requests in progress at the gateway.");
        _cacheHits = _meter.CreateCounter<long>("opeachat.chatqna.response_cache.hits", "{request}", "Non-streaming requests answered from the response cache.");
        _cacheMisses = _meter.CreateCounter<long>("opeachat.chatqna.response_cache.misses", "{request}", "Cacheable requests that had to be generated.");
    }

    public void RequestStarted() => _pendingRequests.Add(1);

    public void RequestEnded() => _pendingRequests.Add(-1);

    public void RecordFirstToken(TimeSpan latency) => _firstTokenLatency.Record(latency.TotalSeconds);

    public void RecordCompleted(TimeSpan total, TimeSpan? firstToken, int pieces)
    {
        _requestLatency.Record(total.TotalSeconds);
        if (firstToken is { } first && pieces > 1)
        {
            _interTokenLatency.Record((total - first).TotalSeconds / (pieces - 1));
        }
    }

    public void RecordCacheHit() => _cacheHits.Add(1);

    public void RecordCacheMiss() => _cacheMisses.Add(1);

    public void Dispose() => _meter.Dispose();
}
