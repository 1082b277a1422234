using System.Text.Json;
using OpeaChat.Benchmarks.Cli;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

public sealed class EmbedCommandLineTests
{
    [Fact]
    public void Embed_needs_a_model() =>
        Assert.Contains(BenchmarkCli.Problems(BenchmarkCli.Parse(["embed", "--chunks", "4"])), problem => problem.Contains("'embed' needs --model", StringComparison.Ordinal));

    [Fact]
    public void Embed_refuses_sequences_beyond_the_services_limit() =>
        Assert.NotEmpty(BenchmarkCli.Problems(BenchmarkCli.Parse(["embed", "--model", "m.gguf", "--max-sequences", "65"])));
}

/// <summary>A real <c>embed</c> run on the test model: both modes measured, the same vectors, JSON and Markdown written.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class EmbedCommandTests : IDisposable
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("opeachat-embed-bench-");

    [Fact]
    public async Task Embed_writes_both_modes_to_json_and_markdown()
    {
        var exit = await BenchmarkCli.RunAsync(["embed", "--model", TestModel.Path, "--chunks", "12", "--words", "20", "--max-sequences", "4",
            "--output", _output.FullName, "--name", "e"]);

        Assert.Equal(0, exit);
        var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output.FullName, "e.json"))).RootElement;
        Assert.Equal("opeachat-benchmarks/embed/1", json.GetProperty("schema").GetString());
        Assert.Equal(64, json.GetProperty("dimensions").GetInt32());
        var runs = json.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal([1, 4], runs.Select(run => run.GetProperty("sequences_per_decode").GetInt32()));
        Assert.All(runs, run => Assert.Equal(12, run.GetProperty("chunks").GetInt32()));
        Assert.All(runs, run => Assert.True(run.GetProperty("chunks_per_second").GetDouble() > 0));
        Assert.InRange(json.GetProperty("max_absolute_difference").GetDouble(), 0, 1e-4);
        Assert.True(json.TryGetProperty("speedup", out _));
        var markdown = await File.ReadAllTextAsync(Path.Combine(_output.FullName, "e.md"));
        Assert.Contains("| one at a time | 1 | 12 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| batched | 4 | 12 |", markdown, StringComparison.Ordinal);
    }

    public void Dispose() => _output.Delete(recursive: true);
}
