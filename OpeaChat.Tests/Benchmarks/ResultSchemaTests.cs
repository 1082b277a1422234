using System.Diagnostics;
using System.Text.Json;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Prefix;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>The figures computed from samples, and the JSON schema tools read them by.</summary>
public sealed class ResultSchemaTests
{
    private static readonly long s_ms = Stopwatch.Frequency / 1000;

    [Fact]
    public void Ttft_tpot_latency_and_throughput_are_computed_from_the_samples()
    {
        RequestSample[] samples =
        [
            // Sent at 0, first token at 10 ms, 10 tokens by 28 ms: TPOT (28 - 10) / 9 = 2 ms.
            new(0, 10 * s_ms, 28 * s_ms, 10, 40, null),
            // Sent at 5 ms, first token at 25 ms, 10 tokens by 61 ms: TTFT 20 ms, TPOT 4 ms, E2E 56 ms.
            new(5 * s_ms, 25 * s_ms, 61 * s_ms, 10, 40, null),
            RequestSample.Failed(0, 3 * s_ms, "HTTP 429: busy"),
            RequestSample.Failed(0, 4 * s_ms, "HTTP 429: busy"),
        ];

        var level = LoadRunner.Summarize(users: 2, sent: 4, samples, seconds: 0.5);

        Assert.Equal((4, 2, 2), (level.Sent, level.Completed, level.Errors));
        Assert.Equal(["HTTP 429: busy"], level.ErrorSamples);
        Assert.Equal(20, level.OutputTokens);
        Assert.Equal(40, level.OutputTokensPerSecond);
        Assert.Equal(4, level.RequestsPerSecond);
        Assert.Equal(2, level.TtftMs!.Count);
        Assert.Equal(10, level.TtftMs.Min, 0.05);
        Assert.Equal(20, level.TtftMs.Max, 0.05);
        Assert.Equal(15, level.TtftMs.Mean, 0.05);
        Assert.Equal(2, level.TpotMs!.Min, 0.01);
        Assert.Equal(4, level.TpotMs.Max, 0.01);
        Assert.Equal(28, level.EndToEndMs!.Min, 0.05);
        Assert.Equal(56, level.EndToEndMs.Max, 0.1);
        Assert.Equal(10, level.OutputTokensPerRequest!.Min);
    }

    [Fact]
    public void A_level_where_everything_failed_has_no_distributions_rather_than_zeros()
    {
        var level = LoadRunner.Summarize(1, 1, [RequestSample.Failed(0, s_ms, "timed out")], seconds: 0.1);
        Assert.Equal((1, 0, 1), (level.Sent, level.Completed, level.Errors));
        Assert.Null(level.TtftMs);
        Assert.Null(level.TpotMs);
        Assert.Null(level.EndToEndMs);
    }

    [Fact]
    public void Comparisons_put_each_target_against_those_below_it_in_the_stack()
    {
        var results = new[] { Target("chatqna", 95, 12), Target("inprocess", 100, 10), Target("openai", 97, 11) };

        var comparisons = LoadRunner.Compare(results);

        Assert.Equal(
            [("openai", "inprocess"), ("chatqna", "inprocess"), ("chatqna", "openai")],
            comparisons.Select(c => (c.Target, c.Baseline)));
        var gateway = comparisons.Single(c => c.Target == "chatqna" && c.Baseline == "inprocess");
        Assert.Equal(0.95, gateway.OutputTokensPerSecondRatio);
        Assert.Equal(0.95, gateway.BestRoundOutputTokensPerSecondRatio);
        Assert.Equal(2, gateway.TtftP50DeltaMs);
        Assert.Equal(1.2, gateway.TtftP50Ratio);
    }

    [Fact]
    public void The_load_json_has_a_stable_schema_of_snake_case_names_that_are_always_present()
    {
        var level = LoadRunner.Summarize(1, 1, [new RequestSample(0, s_ms, 5 * s_ms, 3, 10, null)], seconds: 1);
        var result = new LoadResult
        {
            StartedAt = DateTimeOffset.UnixEpoch,
            FinishedAt = DateTimeOffset.UnixEpoch,
            Machine = new MachineInfo("cpu", 2, "os", "runtime", null, null),
            Workload = new WorkloadInfo([1], 1, 1, 128, 64, 1, 0.01f, 0.95f, 10, 1.03f, 42, false, 300),
            Targets = [Target("openai", 10, 1) with { Levels = [level] }, Target("chatqna", 0, 0) with { Failure = "unreachable", Levels = [] }],
            Comparisons = [new TargetComparison(1, "chatqna", "openai", 0.9, 0.95, 1, 1.1, 1, 1)],
        };

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(result, BenchmarkJsonContext.Default.LoadResult));
        var root = json.RootElement;
        Assert.Equal(LoadResult.SchemaVersion, root.GetProperty("schema").GetString());
        Assert.Equal(["schema", "started_at", "finished_at", "machine", "workload", "targets", "comparisons"], Names(root));
        Assert.Equal(["cpu_model", "logical_cores", "os", "runtime", "load_average_at_start", "load_average_at_end"], Names(root.GetProperty("machine")));
        Assert.Equal(
            ["users", "requests_per_user", "rounds", "prompt_tokens", "max_tokens", "warmup_requests", "temperature", "top_p", "top_k", "repeat_penalty", "seed", "cache_prompt", "request_timeout_seconds"],
            Names(root.GetProperty("workload")));
        var target = root.GetProperty("targets")[0];
        Assert.Equal(["kind", "name", "address", "model", "settings", "prompt_tokens", "prompt_words", "output_tokens_source", "levels", "failure"], Names(target));
        Assert.Equal(["threads", "batch_threads", "context_size", "max_parallel_sequences", "sequence_context_size", "batch_size", "flash_attention"], Names(target.GetProperty("settings")));
        var levelJson = target.GetProperty("levels")[0];
        Assert.Equal(
            ["users", "sent", "completed", "errors", "duration_seconds", "output_tokens", "output_tokens_per_second", "output_tokens_per_second_by_round",
             "best_round_output_tokens_per_second", "requests_per_second", "scaling_vs_one_user",
             "ttft_ms", "tpot_ms", "end_to_end_ms", "output_tokens_per_request", "load_average", "error_samples"],
            Names(levelJson));
        Assert.Equal(["count", "mean", "p50", "p90", "p99", "min", "max"], Names(levelJson.GetProperty("ttft_ms")));
        Assert.Equal(
            ["users", "target", "baseline", "output_tokens_per_second_ratio", "best_round_output_tokens_per_second_ratio", "ttft_p50_delta_ms", "ttft_p50_ratio", "tpot_p50_ratio", "end_to_end_p50_ratio"],
            Names(root.GetProperty("comparisons")[0]));

        // A failed target keeps every property (null or empty), so readers never meet a missing name.
        var failed = root.GetProperty("targets")[1];
        Assert.Equal(Names(target), Names(failed));
        Assert.Equal("unreachable", failed.GetProperty("failure").GetString());
    }

    [Fact]
    public void The_prefix_json_keeps_its_runs_and_adds_the_machine_and_speedup()
    {
        var result = new PrefixResult
        {
            Target = "http://127.0.0.1:9009/",
            Model = "m",
            TurnCount = 1,
            MaxTokens = 8,
            StartedAt = DateTimeOffset.UnixEpoch,
            Machine = new MachineInfo("cpu", 2, "os", "runtime", null, null),
            Runs = [new PrefixRun("prefix reuse", true, [new PrefixTurn(1, 50, 40, 10)]), new PrefixRun("no reuse", false, [new PrefixTurn(1, 50, 0, 25)])],
        };

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(result, BenchmarkJsonContext.Default.PrefixResult));
        var root = json.RootElement;
        Assert.Equal(["schema", "target", "model", "turn_count", "max_tokens", "started_at", "machine", "runs", "speedup"], Names(root));
        Assert.Equal(["mode", "cache_prompt", "turns", "total_milliseconds"], Names(root.GetProperty("runs")[0]));
        Assert.Equal(["turn", "prompt_tokens", "cached_tokens", "milliseconds"], Names(root.GetProperty("runs")[0].GetProperty("turns")[0]));
        Assert.Equal(2.5, root.GetProperty("speedup").GetDouble());
        Assert.Contains("| all | | | 10.0 | 25.0 | 2.50 |", MarkdownReport.Prefix(result), StringComparison.Ordinal);
    }

    private static TargetResult Target(string kind, double tokensPerSecond, double ttftP50) => new()
    {
        Kind = kind,
        Name = kind,
        Address = "x",
        Model = "m",
        Settings = new TargetSettings(2, 2, 8192, 8, 1024, 512, true),
        PromptTokens = 128,
        PromptWords = 20,
        OutputTokensSource = TokenCountSources.Usage,
        Levels =
        [
            LoadRunner.Summarize(1, 1, [], 1) with
            {
                OutputTokensPerSecond = tokensPerSecond,
                BestRoundOutputTokensPerSecond = tokensPerSecond,
                TtftMs = new Distribution(1, ttftP50, ttftP50, ttftP50, ttftP50, ttftP50, ttftP50),
            },
        ],
    };

    private static List<string> Names(JsonElement element) => element.EnumerateObject().Select(property => property.Name).ToList();
}
