using System.Diagnostics;
using System.Globalization;
using System.Text;
using LLama;
using LLama.Common;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Native;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Inference.Embeddings;

namespace OpeaChat.Benchmarks.Embeddings;

public sealed record EmbeddingRun(string Mode, int SequencesPerDecode, int Chunks, double Milliseconds)
{
    public double ChunksPerSecond => Milliseconds > 0 ? Math.Round(Chunks / (Milliseconds / 1000), 1) : 0;
}

/// <summary>The results of one <c>embed</c> run (stable snake_case JSON; <see cref="SchemaVersion"/> changes when it does).</summary>
public sealed record EmbeddingResult
{
    public const string SchemaVersion = "opeachat-benchmarks/embed/1";

    public string Schema { get; init; } = SchemaVersion;
    public required string Model { get; init; }
    public required string Pooling { get; init; }
    public required int Dimensions { get; init; }
    public required int Chunks { get; init; }
    public required double TokensPerChunk { get; init; }
    public required int BatchTokens { get; init; }
    public required int Threads { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required MachineInfo Machine { get; init; }

    /// <summary>One at a time first, then batched.</summary>
    public required IReadOnlyList<EmbeddingRun> Runs { get; init; }

    /// <summary>The largest difference between a batched vector's element and the one-at-a-time one (they should agree).</summary>
    public required double MaxAbsoluteDifference { get; init; }

    public double Speedup => Runs is [var single, var batched] && batched.Milliseconds > 0
        ? Math.Round(single.Milliseconds / batched.Milliseconds, 2)
        : 0;
}

/// <summary>
/// Embeds the same chunks with the inference service's <see cref="BatchedEmbedder"/> twice in one process: one chunk a
/// decode (what /v1/embeddings did before batching) and many chunks a decode, so the figures share the machine's state.
/// </summary>
public static class EmbeddingBenchmark
{
    private static readonly string[] s_words =
        "once upon a time there was a little girl named lily she loved to play in the park with her big red ball and her dog".Split(' ');

    public static async Task<EmbeddingResult> RunAsync(string modelPath, int chunks, int wordsPerChunk, int maxSequences, int batchTokens, int threads,
        CancellationToken cancellationToken)
    {
        LlamaNativeLog.ErrorsOnly();
        var started = DateTimeOffset.UtcNow;
        var loadAtStart = MachineProbe.LoadAverage();
        using var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(modelPath), cancellationToken).ConfigureAwait(false);
        var maxInput = Math.Min(weights.ContextSize > 0 ? weights.ContextSize : batchTokens, batchTokens);
        using var embedder = new BatchedEmbedder(Path.GetFileNameWithoutExtension(modelPath), modelPath, weights, maxInput,
            new EmbedderSettings(batchTokens, maxSequences, threads, threads));
        var texts = Enumerable.Range(0, chunks).Select(i => Chunk(i, wordsPerChunk)).ToArray();
        var tokens = texts.Select(embedder.Tokenize).ToArray();
        if (tokens.FirstOrDefault(input => input.Count > maxInput) is { } tooLong)
        {
            throw new ArgumentException($"A chunk has {tooLong.Count} tokens; the model takes at most {maxInput}: lower --words.");
        }

        await embedder.EmbedAsync(tokens[..Math.Min(chunks, maxSequences)], cancellationToken).ConfigureAwait(false); // warm-up, not counted
        var (singleVectors, single) = await TimeAsync(embedder, tokens, 1, "one at a time", cancellationToken).ConfigureAwait(false);
        var (batchedVectors, batched) = await TimeAsync(embedder, tokens, maxSequences, "batched", cancellationToken).ConfigureAwait(false);
        var difference = singleVectors.Zip(batchedVectors).Max(pair => pair.First.Zip(pair.Second).Max(values => Math.Abs((double)values.First - values.Second)));
        return new EmbeddingResult
        {
            Model = embedder.Id,
            Pooling = embedder.Pooling.ToString(),
            Dimensions = embedder.Dimensions,
            Chunks = chunks,
            TokensPerChunk = Math.Round(tokens.Average(input => input.Count), 1),
            BatchTokens = batchTokens,
            Threads = threads,
            StartedAt = started,
            Machine = MachineProbe.Describe(loadAtStart),
            Runs = [single, batched],
            MaxAbsoluteDifference = difference,
        };
    }

    public static string Markdown(EmbeddingResult result)
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(culture, $"# Embeddings: {result.Model} ({result.Dimensions} dims, {result.Pooling} pooling)");
        text.AppendLine();
        text.AppendLine(culture, $"{result.StartedAt:u}, {result.Machine.CpuModel}, {result.Machine.LogicalCores} logical cores, {result.Threads} threads; " +
            $"{result.Chunks} chunks of {result.TokensPerChunk} tokens on average, batches of at most {result.BatchTokens} tokens.");
        text.AppendLine();
        text.AppendLine("| Mode | Chunks a decode | Chunks | Time (ms) | Chunks/s |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var run in result.Runs)
        {
            text.AppendLine(culture, $"| {run.Mode} | {run.SequencesPerDecode} | {run.Chunks} | {run.Milliseconds:F1} | {run.ChunksPerSecond:F1} |");
        }

        text.AppendLine();
        text.AppendLine(culture, $"Batched is {result.Speedup:F2}× one at a time; the vectors differ by at most {result.MaxAbsoluteDifference:G3}.");
        return text.ToString();
    }

    private static async Task<(float[][] Vectors, EmbeddingRun Run)> TimeAsync(BatchedEmbedder embedder, IReadOnlyList<IReadOnlyList<LLama.Native.LLamaToken>> tokens,
        int perDecode, string mode, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var vectors = await embedder.EmbedAsync(tokens, cancellationToken, perDecode).ConfigureAwait(false);
        stopwatch.Stop();
        return (vectors, new EmbeddingRun(mode, perDecode, tokens.Count, Math.Round(stopwatch.Elapsed.TotalMilliseconds, 3)));
    }

    /// <summary>Chunk <paramref name="index"/>: words from a story, each chunk starting elsewhere so no two are the same.</summary>
    public static string Chunk(int index, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(i => s_words[(index * 7 + i) % s_words.Length])) + string.Create(CultureInfo.InvariantCulture, $" ({index})");
}
