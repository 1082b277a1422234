using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Store;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.Benchmarks.Retrieval;

/// <summary>
/// Fills the gateway's own SQLite document store with synthetic chunks, then measures one query at a time (as one
/// user's retrieval runs): exact cosine over the in-memory vectors, BM25 over the in-memory full-text index, and both
/// fused as <see cref="DocumentRetriever"/> does (the chunk count, BM25, vectors, reciprocal rank fusion; no
/// embedding and no reranking, which are inference's).
/// </summary>
public sealed class RetrievalBenchmark(RetrievalWorkload workload, string directory)
{
    private const string IndexName = "benchmark";

    public async Task<RetrievalResult> RunAsync(IProgress<(string Stage, int Done)> progress, CancellationToken cancellationToken)
    {
        var loadAtStart = MachineProbe.LoadAverage();
        var databasePath = Path.Combine(directory, DocumentStorageOptions.DatabaseFileName);
        var corpus = new SyntheticCorpus(workload.Dimensions, workload.WordsPerChunk, workload.Seed);

        var fill = Stopwatch.StartNew();
        using (var store = Open(databasePath))
        {
            await store.InitializeAsync(cancellationToken);
            await FillAsync(store, corpus, progress, cancellationToken);
        }

        fill.Stop();

        // A new store instance, as after a gateway restart: its first vector search loads the index into memory.
        using var measured = Open(databasePath);
        await measured.InitializeAsync(cancellationToken);
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var cold = Stopwatch.StartNew();
        await measured.SearchVectorAsync(corpus.Vector(), IndexName, workload.Limit, cancellationToken);
        cold.Stop();
        // What the index's snapshot (vectors and full text) keeps on the managed heap.
        var indexBytes = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;

        var vectors = Enumerable.Range(0, workload.Queries).Select(_ => corpus.Vector()).ToList();
        var vectorLatency = await MeasureAsync(vectors, "vector queries", progress,
            vector => measured.SearchVectorAsync(vector, IndexName, workload.Limit, cancellationToken));
        var queries = Enumerable.Range(0, workload.Queries).Select(_ => corpus.Query(workload.QueryWords)).ToList();
        var textLatency = await MeasureAsync(queries, "full-text queries", progress,
            query => measured.SearchTextAsync(query, IndexName, workload.Limit, cancellationToken));
        var questions = Enumerable.Range(0, workload.Queries).Select(_ => (Text: corpus.Query(workload.QueryWords), Vector: corpus.Vector())).ToList();
        var hybridLatency = await MeasureAsync(questions, "hybrid queries", progress,
            question => HybridAsync(measured, question.Text, question.Vector, workload.Limit, cancellationToken));

        SqliteConnection.ClearAllPools();
        var bytes = Directory.EnumerateFiles(directory, DocumentStorageOptions.DatabaseFileName + "*").Sum(file => new FileInfo(file).Length);
        return new RetrievalResult(
            MachineProbe.Describe(loadAtStart), workload, fill.Elapsed.TotalSeconds, workload.Chunks / fill.Elapsed.TotalSeconds, bytes,
            cold.Elapsed.TotalMilliseconds, indexBytes, vectorLatency, textLatency, hybridLatency);
    }

    /// <summary>The store's part of <see cref="DocumentRetriever"/>'s retrieval, in its order, fused with its constant.</summary>
    private static async Task<IReadOnlyList<ScoredChunk>> HybridAsync(
        SqliteDocumentStore store, string question, float[] vector, int limit, CancellationToken cancellationToken)
    {
        if (await store.CountChunksAsync(IndexName, cancellationToken) == 0)
        {
            return [];
        }

        var text = await store.SearchTextAsync(question, IndexName, limit, cancellationToken);
        var vectors = await store.SearchVectorAsync(vector, IndexName, limit, cancellationToken);
        return ReciprocalRankFusion.Fuse([text, vectors], new RetrievalOptions().RrfConstant);
    }

    private async Task FillAsync(SqliteDocumentStore store, SyntheticCorpus corpus, IProgress<(string Stage, int Done)> progress, CancellationToken cancellationToken)
    {
        var written = 0;
        for (var document = 0; written < workload.Chunks; document++)
        {
            var count = Math.Min(workload.ChunksPerDocument, workload.Chunks - written);
            var stored = await store.AddAsync(new NewDocument($"document-{document:D6}.txt", DocumentTypes.File, IndexName, 0, "txt"), cancellationToken);
            var chunks = Enumerable.Range(0, count)
                .Select(i => new NewChunk(i, corpus.Text(), $"Section {i}", null, corpus.Vector()))
                .ToList();
            await store.CompleteAsync(stored.Id, chunks, cancellationToken);
            written += count;
            progress.Report(("fill", written));
        }
    }

    private static async Task<QueryLatency> MeasureAsync<T>(
        IReadOnlyList<T> inputs, string stage, IProgress<(string Stage, int Done)> progress, Func<T, Task<IReadOnlyList<ScoredChunk>>> query)
    {
        // A few unmeasured queries first: the JIT and SQLite's page cache, not the store, would otherwise dominate.
        foreach (var input in inputs.Take(5))
        {
            await query(input);
        }

        var milliseconds = new double[inputs.Count];
        long hits = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            hits += (await query(inputs[i])).Count;
            milliseconds[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            progress.Report((stage, i + 1));
        }

        Array.Sort(milliseconds);
        return new QueryLatency(
            inputs.Count, Percentile(milliseconds, 0.50), Percentile(milliseconds, 0.90), Percentile(milliseconds, 0.99),
            milliseconds.Average(), milliseconds[^1], (double)hits / inputs.Count);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static SqliteDocumentStore Open(string databasePath) =>
        new(databasePath, TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
}
