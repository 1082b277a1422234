using System.CommandLine;
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
    private static readonly Option<IReadOnlyList<TargetSpec>> s_targets = OptionValues.Targets("""
        A system to measure, KIND ADDRESS (or KIND=ADDRESS); repeat it to compare several in one run:
          chatqna   http://127.0.0.1:8888  the OPEA gateway's /v1/chatqna stream
          openai    http://127.0.0.1:9009  OpenAI /v1/chat/completions, any compatible server
          inprocess models/x.gguf          the inference service's engine in this process, no HTTP: the floor
        """);

    private static readonly int[] s_defaultUsers = [1, 2, 4, 8, 16, 32];
    private static readonly Option<IReadOnlyList<int>?> s_users = OptionValues.IntList("--users", s_defaultUsers, "Concurrent users (closed loop), one level each.", min: 1, max: 4096);
    private static readonly Option<int> s_requests = OptionValues.Int("--requests", 4, "Requests per user.", min: 1);
    private static readonly Option<int> s_rounds = OptionValues.Int("--rounds", 1, "Repeat the whole sweep, pooling each level over the rounds (evens out a noisy machine).", min: 1, max: 1000);
    private static readonly Option<int> s_promptTokens = OptionValues.Int("--prompt-tokens", 128, "Prompt length in tokens (calibrated per target).", min: 1);
    private static readonly Option<int> s_maxTokens = OptionValues.Int("--max-tokens", 64, "Output tokens per request (ignore_eos).", min: 1);
    private static readonly Option<int> s_warmup = OptionValues.Int("--warmup", 3, "Uncounted requests per target before measuring.", min: 0);
    private static readonly Option<int> s_requestTimeout = OptionValues.Int("--request-timeout", 300, "Seconds before a request counts as an error.", min: 1);
    private static readonly Option<float> s_temperature = OptionValues.Float("--temperature", 0.01f, "Sampling temperature (OPEA's default).", 0, 2);
    private static readonly Option<int> s_topK = OptionValues.Int("--top-k", 10, "Top-k sampling (OPEA's default).", min: 0);
    private static readonly Option<float> s_topP = OptionValues.Float("--top-p", 0.95f, "Top-p sampling (OPEA's default).", 0.01f, 1);
    private static readonly Option<float> s_repeatPenalty = OptionValues.Float("--repeat-penalty", 1.03f, "Repeat penalty (OPEA's default).", 0.01f, 10);
    private static readonly Option<int> s_seed = OptionValues.Int("--seed", 42, "Sampling seed.", min: 0);
    private static readonly Option<Choice<bool?>?> s_cachePrompt = OptionValues.Words("--cache-prompt", "omit",
        "The cache_prompt field: omit (the server's default, as for any client), false or true.",
        new Dictionary<string, bool?>(StringComparer.Ordinal) { ["false"] = false, ["true"] = true, ["omit"] = null });

    private static readonly Option<int> s_threads = OptionValues.Int("--threads", 2, "In-process engine: Inference:Threads.", min: 1, max: 1024);
    private static readonly Option<int> s_batchThreads = OptionValues.Int("--batch-threads", 0, "In-process engine: Inference:BatchThreads (0: as --threads).", min: 0, max: 1024);
    private static readonly Option<int> s_context = OptionValues.Int("--context", 8192, "In-process engine: Inference:ContextSize (0: the model's).", min: 0);
    private static readonly Option<int> s_parallel = OptionValues.Int("--parallel", 8, "In-process engine: Inference:MaxParallelSequences.", min: 1, max: 256);
    private static readonly Option<int> s_batchSize = OptionValues.Int("--batch-size", 512, "In-process engine: Inference:BatchSize.", min: 1);
    private static readonly Option<Choice<bool>?> s_flashAttention = OptionValues.Bool("--flash-attention", true, "In-process engine: Inference:FlashAttention.");
    private static readonly Option<int> s_prefixSlots = OptionValues.Int("--prefix-slots", 4, "In-process engine: Inference:PrefixCacheSlots.", min: 0, max: 64);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "load", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("load", "Concurrent users against one or more targets: TTFT, TPOT, E2E latency, tokens/s, errors. " +
            "Several targets are run in turns at each concurrency and compared (gateway vs direct vs in-process).")
        {
            s_targets, s_users, s_requests, s_rounds, s_promptTokens, s_maxTokens, s_warmup, s_requestTimeout, s_temperature, s_topK, s_topP,
            s_repeatPenalty, s_seed, s_cachePrompt, s_threads, s_batchThreads, s_context, s_parallel, s_batchSize, s_flashAttention,
            s_prefixSlots, s_output, s_name,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(s_targets) is not { Implicit: false })
            {
                result.AddError("load needs at least one --target, such as --target openai http://127.0.0.1:9009.");
            }
        });
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var specs = ReadTargets(line);
        var workload = ReadWorkload(line);
        var settings = ReadInProcessSettings(line);
        var output = line.GetValue(s_output)!;
        var name = line.GetValue(s_name)!;

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

    /// <summary>The <c>--target</c>s in the order given.</summary>
    public static IReadOnlyList<TargetSpec> ReadTargets(ParseResult line) => line.GetValue(s_targets) ?? [];

    public static LoadWorkload ReadWorkload(ParseResult line) => new()
    {
        Users = line.GetValue(s_users) ?? s_defaultUsers,
        RequestsPerUser = line.GetValue(s_requests),
        Rounds = line.GetValue(s_rounds),
        PromptTokens = line.GetValue(s_promptTokens),
        MaxTokens = line.GetValue(s_maxTokens),
        WarmupRequests = line.GetValue(s_warmup),
        RequestTimeout = TimeSpan.FromSeconds(line.GetValue(s_requestTimeout)),
        CachePrompt = line.GetValue(s_cachePrompt)?.Value,
        Sampling = new SamplingSpec(
            line.GetValue(s_temperature),
            line.GetValue(s_topP),
            line.GetValue(s_topK),
            line.GetValue(s_repeatPenalty),
            line.GetValue(s_seed)),
    };

    public static InProcessSettings ReadInProcessSettings(ParseResult line) => new()
    {
        Threads = line.GetValue(s_threads),
        BatchThreads = line.GetValue(s_batchThreads),
        ContextSize = line.GetValue(s_context),
        MaxParallelSequences = line.GetValue(s_parallel),
        BatchSize = line.GetValue(s_batchSize),
        FlashAttention = line.GetValue(s_flashAttention)?.Value ?? true,
        PrefixCacheSlots = line.GetValue(s_prefixSlots),
    };

    public static ILoadTarget CreateTarget(TargetSpec spec, InProcessSettings settings) => spec.Kind switch
    {
        TargetKind.ChatQnA => new ChatQnATarget(spec.BaseUri),
        // The development app's inference asks for its key (the AppHost's inference-api-key parameter).
        TargetKind.OpenAi => new OpenAiTarget(spec.BaseUri, Environment.GetEnvironmentVariable("OPEACHAT_API_KEY")),
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
