using System.Globalization;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Load.InProcess;
using OpeaChat.Benchmarks.Load.Targets;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>load</c>: concurrent users against one or more targets, with TTFT, TPOT and latency distributions.</summary>
public static class LoadCommand
{
    public const string Usage = """
        load --target KIND ADDRESS [--target KIND ADDRESS ...] [options]
          KIND ADDRESS: chatqna http://127.0.0.1:8888 (OPEA /v1/chatqna stream)
                        openai  http://127.0.0.1:9009 (OpenAI /v1/chat/completions, any compatible server)
                        inprocess models/x.gguf       (LLamaSharp in this process, no HTTP: the floor)
          Several targets are run in turns at each concurrency and compared (gateway vs direct vs in-process).
          --users 1,2,4,8,16,32   concurrent users (closed loop)     --requests 4        requests per user
          --rounds 1              repeat the whole sweep, pooling each level over the rounds (evens out a noisy machine)
          --prompt-tokens 128     prompt length (calibrated)         --max-tokens 64     output tokens (ignore_eos)
          --warmup 3              uncounted requests per target      --request-timeout 300  seconds
          --temperature 0.01 --top-k 10 --top-p 0.95 --repeat-penalty 1.03 --seed 42   (OPEA's defaults)
          --cache-prompt omit|false|true   the cache_prompt field (default omit: the server's default, as for any client)
          in-process engine, as Inference:* options: --threads 2 --batch-threads 0 --context 8192 --parallel 8
                        --batch-size 512 --flash-attention true --prefix-slots 4
          --output artifacts/benchmarks --name load   writes NAME.json and NAME.md
        """;

    private static readonly string[] s_options =
    [
        "--users", "--requests", "--rounds", "--prompt-tokens", "--max-tokens", "--warmup", "--request-timeout", "--temperature", "--top-k", "--top-p",
        "--repeat-penalty", "--seed", "--cache-prompt", "--threads", "--batch-threads", "--context", "--parallel", "--batch-size",
        "--flash-attention", "--prefix-slots", "--output", "--name",
    ];

    public static IReadOnlyList<string> Options => s_options;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, s_options);
        var specs = line.GetAll(CommandLine.TargetOption).Select(text => TargetSpec.Parse(text)).ToList();
        if (specs.Count == 0)
        {
            throw new CommandLineException("load needs at least one --target, such as --target openai http://127.0.0.1:9009.");
        }

        var workload = ReadWorkload(line);
        var settings = ReadInProcessSettings(line);
        var output = line.GetString("--output", ResultFiles.DefaultDirectory);
        var name = line.GetString("--name", "load");

        var targets = specs.Select(spec => CreateTarget(spec, settings)).ToList();
        LoadResult result;
        try
        {
            result = await AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(context => new LoadRunner(targets, workload, new ConsoleProgress(context)).RunAsync(cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var target in targets)
            {
                await target.DisposeAsync().ConfigureAwait(false);
            }
        }

        ShowSummary(result);
        var (json, markdown) = await ResultFiles.WriteAsync(result, BenchmarkJsonContext.Default.LoadResult, MarkdownReport.Load(result), output, name, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{markdown}[/].");
        return result.Targets.Any(target => target.Failure is not null) ? 2 : 0;
    }

    public static LoadWorkload ReadWorkload(CommandLine line) => new()
    {
        Users = line.GetIntList("--users", [1, 2, 4, 8, 16, 32], min: 1, max: 4096),
        RequestsPerUser = line.GetInt("--requests", 4, min: 1),
        Rounds = line.GetInt("--rounds", 1, min: 1, max: 1000),
        PromptTokens = line.GetInt("--prompt-tokens", 128, min: 1),
        MaxTokens = line.GetInt("--max-tokens", 64, min: 1),
        WarmupRequests = line.GetInt("--warmup", 3, min: 0),
        RequestTimeout = TimeSpan.FromSeconds(line.GetInt("--request-timeout", 300, min: 1)),
        CachePrompt = line.GetString("--cache-prompt", "omit") switch
        {
            "false" => false,
            "true" => true,
            "omit" => null,
            var other => throw new CommandLineException($"--cache-prompt must be false, true or omit, not '{other}'."),
        },
        Sampling = new SamplingSpec(
            line.GetFloat("--temperature", 0.01f, 0, 2),
            line.GetFloat("--top-p", 0.95f, 0.01f, 1),
            line.GetInt("--top-k", 10, min: 0),
            line.GetFloat("--repeat-penalty", 1.03f, 0.01f, 10),
            line.GetInt("--seed", 42, min: 0)),
    };

    public static InProcessSettings ReadInProcessSettings(CommandLine line) => new()
    {
        Threads = line.GetInt("--threads", 2, min: 1, max: 1024),
        BatchThreads = line.GetInt("--batch-threads", 0, min: 0, max: 1024),
        ContextSize = line.GetInt("--context", 8192, min: 0),
        MaxParallelSequences = line.GetInt("--parallel", 8, min: 1, max: 256),
        BatchSize = line.GetInt("--batch-size", 512, min: 1),
        FlashAttention = line.GetBool("--flash-attention", true),
        PrefixCacheSlots = line.GetInt("--prefix-slots", 4, min: 0, max: 64),
    };

    public static ILoadTarget CreateTarget(TargetSpec spec, InProcessSettings settings) => spec.Kind switch
    {
        TargetKind.ChatQnA => new ChatQnATarget(spec.BaseUri),
        TargetKind.OpenAi => new OpenAiTarget(spec.BaseUri),
        _ => new InProcessTarget(spec.Address, settings),
    };

    private static void ShowSummary(LoadResult result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Load results");
        foreach (var column in new[] { "Target", "Users", "OK / sent", "TTFT p50 / p99 ms", "TPOT p50 ms", "E2E p50 / p99 ms", "Output tok/s", "× 1 user" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var target in result.Targets)
        {
            if (target.Failure is { } failure)
            {
                table.AddRow(Markup.Escape(target.Name), "–", "[red]failed[/]", Markup.Escape(failure.Length > 60 ? failure[..60] + "…" : failure), string.Empty, string.Empty, string.Empty, string.Empty);
                continue;
            }

            foreach (var level in target.Levels)
            {
                table.AddRow(
                    Markup.Escape(target.Name),
                    Format(level.Users),
                    level.Errors > 0 ? $"[red]{level.Completed} / {level.Sent}[/]" : $"{level.Completed} / {level.Sent}",
                    level.TtftMs is { } ttft ? Format($"{ttft.P50:F1} / {ttft.P99:F1}") : "–",
                    level.TpotMs is { } tpot ? Format($"{tpot.P50:F2}") : "–",
                    level.EndToEndMs is { } e2e ? Format($"{e2e.P50:F0} / {e2e.P99:F0}") : "–",
                    Format($"{level.OutputTokensPerSecond:F1}"),
                    level.ScalingVsOneUser is { } scaling ? Format($"{scaling:F2}") : "–");
            }
        }

        AnsiConsole.Write(table);
        if (result.Comparisons.Count == 0)
        {
            return;
        }

        var ratios = new Table().Border(TableBorder.Rounded).Title("Ratios (target / baseline)");
        foreach (var column in new[] { "Users", "Target", "Baseline", "Tok/s ratio", "TTFT p50 Δ ms", "TPOT p50 ratio", "E2E p50 ratio" })
        {
            ratios.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var comparison in result.Comparisons)
        {
            ratios.AddRow(Format(comparison.Users), Markup.Escape(comparison.Target), Markup.Escape(comparison.Baseline), Format($"{comparison.OutputTokensPerSecondRatio:F3}"),
                Format($"{comparison.TtftP50DeltaMs:F2}"), Format($"{comparison.TpotP50Ratio:F3}"), Format($"{comparison.EndToEndP50Ratio:F3}"));
        }

        AnsiConsole.Write(ratios);
    }

    private static string Format(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One progress bar per target, concurrency level and round.</summary>
    private sealed class ConsoleProgress(ProgressContext context) : ILoadProgress
    {
        private readonly Dictionary<(string, int, int), ProgressTask> _tasks = [];
        private readonly Lock _lock = new();

        public void TargetFailed(string target, string message) =>
            AnsiConsole.MarkupLineInterpolated($"[red]{target} skipped:[/] {message}");

        public void LevelStarting(string target, int users, int round, int requests)
        {
            lock (_lock)
            {
                _tasks[(target, users, round)] = context.AddTask(Markup.Escape($"{target,-9} {users,3} users, round {round}"), maxValue: requests);
            }
        }

        public void RequestFinished(string target, int users, int round, bool succeeded)
        {
            lock (_lock)
            {
                _tasks[(target, users, round)].Increment(1);
            }
        }

        public void LevelFinished(string target, LevelResult level)
        {
            lock (_lock)
            {
                var task = _tasks.Where(entry => entry.Key.Item1 == target && entry.Key.Item2 == level.Users).MaxBy(entry => entry.Key.Item3).Value;
                task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"{target,-9} {level.Users,3} users: {level.OutputTokensPerSecond,7:F1} tok/s, TTFT p50 {level.TtftMs?.P50 ?? 0,7:F1} ms, {level.Errors} errors"));
                task.StopTask();
            }
        }
    }
}
