using System.Text.Json.Serialization;
using OpeaChat.Benchmarks.Load;

namespace OpeaChat.Benchmarks.Retrieval;

/// <summary>
/// What <c>retrieval</c> measured: the store's fill, its first (cold) search with the managed memory the loaded index
/// holds, and the three query kinds (hybrid: both searches and their fusion, as the retriever runs them).
/// </summary>
public sealed record RetrievalResult(
    MachineInfo Machine,
    RetrievalWorkload Workload,
    double FillSeconds,
    double ChunksPerSecond,
    long DatabaseBytes,
    double ColdVectorQueryMilliseconds,
    long IndexManagedBytes,
    QueryLatency Vector,
    QueryLatency FullText,
    QueryLatency Hybrid);

public sealed record RetrievalWorkload(int Chunks, int Dimensions, int ChunksPerDocument, int Queries, int Limit, int WordsPerChunk, int QueryWords, int Seed);

/// <summary>Latencies of one query kind, in milliseconds, and how many hits a query returned on average.</summary>
public sealed record QueryLatency(int Queries, double P50, double P90, double P99, double Mean, double Max, double HitsPerQuery);

/// <summary>The retrieval results' JSON, in the same shape as the other commands' (<c>BenchmarkJsonContext</c>).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(RetrievalResult))]
public sealed partial class RetrievalJsonContext : JsonSerializerContext;
