using System.Globalization;
using System.Text;

namespace OpeaChat.Benchmarks.Retrieval;

/// <summary>The Markdown of a retrieval run: the set-up, then one row per query kind.</summary>
public static class RetrievalReport
{
    public static string Markdown(RetrievalResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var w = result.Workload;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Retrieval: SQLite document store, {w.Chunks:N0} chunks of {w.Dimensions} dimensions");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {result.Machine.CpuModel}, {result.Machine.LogicalCores} cores, {result.Machine.Runtime}; load average {result.Machine.LoadAverageAtStart ?? "n/a"} at start, {result.Machine.LoadAverageAtEnd ?? "n/a"} at end.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Fill: {w.Chunks:N0} chunks ({w.ChunksPerDocument} per document, {w.WordsPerChunk} words each) in {result.FillSeconds:F1} s ({result.ChunksPerSecond:N0} chunks/s); database {result.DatabaseBytes / 1048576.0:F0} MiB.");
        text.AppendLine(CultureInfo.InvariantCulture, $"First query after opening the store (loads vectors and full text into memory): {result.ColdVectorQueryMilliseconds:F0} ms; the loaded index holds {result.IndexManagedBytes / 1048576.0:F0} MiB of managed memory.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{w.Queries} queries of each kind, one at a time, top {w.Limit}:");
        text.AppendLine();
        text.AppendLine("| Query | p50 ms | p90 ms | p99 ms | mean ms | max ms | hits/query |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        Row(text, "Vector (exact cosine, in memory)", result.Vector);
        Row(text, $"Full text (BM25 as FTS5's, in memory, {w.QueryWords} words)", result.FullText);
        Row(text, "Hybrid (count, BM25, vector, RRF fusion)", result.Hybrid);
        return text.ToString();
    }

    private static void Row(StringBuilder text, string name, QueryLatency latency) =>
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {latency.P50:F2} | {latency.P90:F2} | {latency.P99:F2} | {latency.Mean:F2} | {latency.Max:F2} | {latency.HitsPerQuery:F1} |");
}
