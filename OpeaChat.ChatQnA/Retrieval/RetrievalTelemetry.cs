using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// OPEA's graph as spans (retrieve with its BM25 and vector searches, rerank, prompt, and generate around the model
/// call, see Generation/GenerateSpan) under the activity source <c>OpeaChat.ChatQnA.Retrieval</c>, and retrieval's metrics on the
/// meter of the same name: latency, chunks searched, documents ingested.
/// </summary>
public sealed class RetrievalTelemetry : IDisposable
{
    public const string SourceName = "OpeaChat.ChatQnA.Retrieval";

    private readonly Meter _meter;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _chunksSearched;
    private readonly Counter<long> _documentsIngested;

    public RetrievalTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(SourceName);
        _latency = _meter.CreateHistogram<double>("opeachat.retrieval.duration", "s", "Time to retrieve (and rerank) the chunks for one question.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _chunksSearched = _meter.CreateCounter<long>("opeachat.retrieval.chunks_searched", "{chunk}", "Chunks in the collections that questions searched.");
        _documentsIngested = _meter.CreateCounter<long>("opeachat.retrieval.documents_ingested", "{document}", "Documents ingested, by outcome (searchable or failed).");
    }

    public static ActivitySource Source { get; } = new(SourceName);

    public static Activity? Start(string name) => Source.StartActivity(name, ActivityKind.Internal);

    public void RecordRetrieval(TimeSpan elapsed, string indexName, int chunksSearched, string searchType)
    {
        var tags = new TagList { { "index_name", indexName }, { "search_type", searchType } };
        _latency.Record(elapsed.TotalSeconds, tags);
        _chunksSearched.Add(chunksSearched, tags);
    }

    public void RecordIngested(string indexName, string outcome) =>
        _documentsIngested.Add(1, new TagList { { "index_name", indexName }, { "outcome", outcome } });

    public void Dispose() => _meter.Dispose();
}
