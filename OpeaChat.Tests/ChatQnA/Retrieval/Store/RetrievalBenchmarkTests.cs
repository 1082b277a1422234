using System.Text.Json;
using OpeaChat.Benchmarks.Cli;
using OpeaChat.Tests.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

/// <summary>The benchmark's <c>retrieval</c> command on a small store: it runs the real store and writes both result files.</summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class RetrievalBenchmarkTests : IDisposable
{
    private readonly TempDirectory _output = new();

    [Fact]
    public async Task Retrieval_fills_a_store_queries_it_and_writes_json_and_markdown()
    {
        var exit = await BenchmarkCli.RunAsync(
            ["retrieval", "--chunks", "250", "--chunks-per-document", "100", "--dimensions", "16", "--queries", "8", "--limit", "5",
             "--output", _output.Path, "--name", "small"],
            TextWriter.Null);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output.Path, "small.json")));
        var root = json.RootElement;
        Assert.Equal(250, root.GetProperty("workload").GetProperty("chunks").GetInt32());
        Assert.True(root.GetProperty("database_bytes").GetInt64() > 0);
        foreach (var kind in new[] { "vector", "full_text", "hybrid" })
        {
            var latency = root.GetProperty(kind);
            Assert.Equal(8, latency.GetProperty("queries").GetInt32());
            Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p90").GetDouble());
            Assert.True(latency.GetProperty("hits_per_query").GetDouble() >= 5.0);
        }

        Assert.Equal(5.0, root.GetProperty("vector").GetProperty("hits_per_query").GetDouble());
        Assert.Equal(5.0, root.GetProperty("full_text").GetProperty("hits_per_query").GetDouble());
        Assert.True(root.GetProperty("index_managed_bytes").GetInt64() > 0);

        var markdown = await File.ReadAllTextAsync(Path.Combine(_output.Path, "small.md"));
        Assert.Contains("| Vector (exact cosine, in memory) |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Full text (BM25 as FTS5's, in memory, 5 words) |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Hybrid (count, BM25, vector, RRF fusion) |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Retrieval_refuses_a_bad_option_by_name()
    {
        var problems = BenchmarkCli.Problems(BenchmarkCli.Parse(["retrieval", "--dimensions", "0"]));
        Assert.Contains(problems, problem => problem.Contains("--dimensions", StringComparison.Ordinal));
    }

    public void Dispose() => _output.Dispose();
}
