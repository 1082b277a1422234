using System.Text.Json;
using OpeaChat.Benchmarks.Constrained;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// The <c>constrained</c> benchmark, briefly, against the inference service on the test model: the four kinds are
/// measured in one run, every reply runs to max_tokens, the ratios come from that run's figures, and both files are
/// written. No timing is asserted: the speeds are the benchmark's to report.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ConstrainedBenchmarkTests
{
    private const int MaxTokens = 64; // enough that a tool call streams arguments after its held-back head
    private const int Rounds = 3;

    [Fact]
    public async Task A_short_run_measures_all_four_kinds_to_max_tokens_and_writes_json_and_markdown()
    {
        using var service = InferenceHost.Start();
        await service.WaitUntilReadyAsync();
        var workload = ConstrainedBenchmark.DefaultWorkload with { MaxTokens = MaxTokens, Rounds = Rounds };
        var order = new List<(int Round, string Kind)>();

        var result = await new ConstrainedBenchmark(service.Client, workload)
            .RunAsync(new OpeaChat.Benchmarks.Cli.SynchronousProgress<(int, string)>(order.Add), CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(ConstrainedResult.SchemaVersion, result.Schema);
        Assert.Equal("stories260K", result.Model);
        Assert.Equal(ConstrainedKinds.All, result.Kinds.Select(kind => kind.Kind));
        // Interleaved, the order rotating: each round sends each kind once, and no kind always goes first.
        Assert.Equal(Rounds * ConstrainedKinds.All.Count, order.Count);
        Assert.Equal(ConstrainedKinds.All, order.Where(o => o.Round == 1).Select(o => o.Kind));
        Assert.Equal(ConstrainedKinds.JsonSchema, order.First(o => o.Round == 2).Kind);
        foreach (var kind in result.Kinds)
        {
            Assert.Equal(1, kind.First.Round);
            Assert.Equal([2, 3], kind.Rest.Select(sample => sample.Round));
            foreach (var sample in kind.Rest.Prepend(kind.First))
            {
                // Every reply ran to max_tokens: the constrained ones because their schema wants 64 objects.
                Assert.Equal(MaxTokens, sample.CompletionTokens);
                Assert.Equal("length", sample.FinishReason);
                Assert.True(sample.DecodeTokensPerSecond > 0, $"{kind.Kind} round {sample.Round}: no decode rate");
                Assert.True(sample.OutputCharacters > 0);
                Assert.Equal(Math.Round((MaxTokens - 1) / (sample.DecodeMs / 1000), 2), sample.DecodeTokensPerSecond, 0.5);
            }

            Assert.Equal(0, kind.EndedEarly);
            Assert.Equal(kind.IgnoreEos, ConstrainedKinds.IsBaseline(kind.Kind));
            var rates = kind.Rest.Select(sample => sample.DecodeTokensPerSecond).Order().ToArray();
            Assert.Equal(Math.Round((rates[0] + rates[1]) / 2, 2), kind.DecodeTokensPerSecondP50);
        }

        Assert.Equal([(ConstrainedKinds.JsonSchema, ConstrainedKinds.Unconstrained), (ConstrainedKinds.Tools, ConstrainedKinds.ToolsUnconstrained)],
            result.Ratios.Select(ratio => (ratio.Kind, ratio.Baseline)));
        foreach (var ratio in result.Ratios)
        {
            var kind = result.Kinds.Single(k => k.Kind == ratio.Kind);
            var baseline = result.Kinds.Single(k => k.Kind == ratio.Baseline).DecodeTokensPerSecondP50;
            var requestBaseline = result.Kinds.Single(k => k.Kind == ratio.Baseline).RequestTokensPerSecondP50;
            Assert.Equal(Math.Round(kind.RequestTokensPerSecondP50 / requestBaseline, 3), ratio.RequestTokensPerSecondRatio);
            Assert.Equal(Math.Round(kind.DecodeTokensPerSecondP50 / baseline, 3), ratio.DecodeTokensPerSecondRatio);
            Assert.Equal(ratio.RequestTokensPerSecondRatio >= 0.9, ratio.MeetsGoal);
        }

        var directory = Path.Combine(Path.GetTempPath(), "opeachat-constrained-" + Guid.NewGuid().ToString("N"));
        try
        {
            var markdown = MarkdownReport.Constrained(result);
            var (jsonPath, markdownPath) = await ResultFiles.WriteAsync(result, BenchmarkJsonContext.Default.ConstrainedResult, markdown, directory, "c", CancellationToken.None);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(jsonPath));
            var root = json.RootElement;
            Assert.Equal(["schema", "target", "model", "started_at", "finished_at", "machine", "workload", "goal_ratio", "kinds", "ratios"],
                root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(ConstrainedKinds.All.Count, root.GetProperty("kinds").GetArrayLength());
            Assert.Equal(result.Ratios[0].DecodeTokensPerSecondRatio, root.GetProperty("ratios")[0].GetProperty("decode_tokens_per_second_ratio").GetDouble());
            Assert.Equal(result.Ratios[0].RequestTokensPerSecondRatio, root.GetProperty("ratios")[0].GetProperty("request_tokens_per_second_ratio").GetDouble());
            var text = await File.ReadAllTextAsync(markdownPath);
            Assert.Contains($"| unconstrained | none | true | {MaxTokens} |", text, StringComparison.Ordinal);
            Assert.Contains($"| json_schema | unconstrained | {result.Ratios[0].RequestTokensPerSecondRatio.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)} |", text, StringComparison.Ordinal);
            Assert.Contains("| tools |", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
