using System.Collections.Concurrent;
using System.Diagnostics;
using OpeaChat.Benchmarks.Reporting;

namespace OpeaChat.Benchmarks.Load;

/// <summary>Live progress of a load run (the console shows it; tests ignore it).</summary>
public interface ILoadProgress
{
    void TargetFailed(string target, string message) { }

    void LevelStarting(string target, int users, int round, int requests) { }

    void RequestFinished(string target, int users, int round, bool succeeded) { }

    void LevelFinished(string target, LevelResult level) { }
}

/// <summary>
/// Runs the workload against each target at each concurrency: N users, each sending its requests one after another
/// (a closed loop, as GenAIEval and vLLM's benchmark_serving do), all N starting together. Levels go in the order
/// given, and at each level the targets take turns, so a drift in the machine's state touches all targets alike. With
/// several rounds the whole sweep repeats and each level's requests and durations are pooled over the rounds.
/// </summary>
public sealed class LoadRunner(IReadOnlyList<ILoadTarget> targets, LoadWorkload workload, ILoadProgress? progress = null)
{
    private readonly ILoadProgress _progress = progress ?? new SilentProgress();
    private int _requestNumber;

    public async Task<LoadResult> RunAsync(CancellationToken cancellationToken)
    {
        if (workload.Problems().ToList() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(workload));
        }

        var startedAt = DateTimeOffset.UtcNow;
        var loadAtStart = MachineProbe.LoadAverage();
        var states = new List<TargetState>();
        foreach (var target in targets)
        {
            states.Add(await PrepareAsync(target, NameOf(target), cancellationToken).ConfigureAwait(false));
        }

        for (var round = 1; round <= workload.Rounds; round++)
        {
            foreach (var users in workload.Users)
            {
                foreach (var state in states.Where(state => state.Failure is null))
                {
                    var run = await RunLevelAsync(state, users, round, cancellationToken).ConfigureAwait(false);
                    var pooled = state.Runs.TryGetValue(users, out var earlier) ? earlier.Add(run) : run;
                    state.Runs[users] = pooled;
                    if (round == workload.Rounds)
                    {
                        var level = Summarize(users, pooled.Sent, pooled.Samples, pooled.Seconds, pooled.RoundTokensPerSecond);
                        state.Levels.Add(level);
                        _progress.LevelFinished(state.Name, level);
                    }
                }
            }
        }

        var results = states.Select(ToResult).ToList();
        return new LoadResult
        {
            StartedAt = startedAt,
            FinishedAt = DateTimeOffset.UtcNow,
            Machine = MachineProbe.Describe(loadAtStart),
            Workload = new WorkloadInfo(workload.Users, workload.RequestsPerUser, workload.Rounds, workload.PromptTokens, workload.MaxTokens, workload.WarmupRequests,
                workload.Sampling.Temperature, workload.Sampling.TopP, workload.Sampling.TopK, workload.Sampling.RepeatPenalty, workload.Sampling.Seed,
                workload.CachePrompt, workload.RequestTimeout.TotalSeconds),
            Targets = results,
            Comparisons = Compare(results),
        };
    }

    /// <summary>Starts the target, finds the prompt length in its tokens, and warms it up. A failure here skips the target.</summary>
    private async Task<TargetState> PrepareAsync(ILoadTarget target, string name, CancellationToken cancellationToken)
    {
        var state = new TargetState(target, name);
        try
        {
            state.Info = await target.StartAsync(cancellationToken).ConfigureAwait(false);
            (state.Prompt, state.PromptTokens) = await PromptBuilder.CalibrateAsync(workload.PromptTokens, target.CountPromptTokensAsync, cancellationToken).ConfigureAwait(false);
            string? lastError = null;
            for (var i = 0; i < workload.WarmupRequests; i++)
            {
                var sample = await target.SendAsync(state.Prompt.Build(NextNumber()), workload, cancellationToken).ConfigureAwait(false);
                lastError = sample.Error;
            }

            if (workload.WarmupRequests > 0 && lastError is not null)
            {
                state.Failure = $"The warm-up request failed: {lastError}";
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException or LLama.Exceptions.RuntimeError or ArgumentException)
        {
            state.Failure = exception.Message;
        }

        if (state.Failure is not null)
        {
            _progress.TargetFailed(name, state.Failure);
        }

        return state;
    }

    private async Task<LevelRun> RunLevelAsync(TargetState state, int users, int round, CancellationToken cancellationToken)
    {
        var target = state.Target;
        var prompt = state.Prompt!;
        _progress.LevelStarting(state.Name, users, round, users * workload.RequestsPerUser);
        var samples = new ConcurrentQueue<RequestSample>();
        var sent = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, users).Select(async _ =>
        {
            for (var i = 0; i < workload.RequestsPerUser; i++)
            {
                Interlocked.Increment(ref sent);
                var sample = await target.SendAsync(prompt.Build(NextNumber()), workload, cancellationToken).ConfigureAwait(false);
                samples.Enqueue(sample);
                _progress.RequestFinished(state.Name, users, round, sample.Error is null);
            }
        })).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var tokens = samples.Where(sample => sample.Error is null).Sum(sample => (long)sample.OutputTokens);
        return new LevelRun(sent, [.. samples], seconds, [seconds > 0 ? Math.Round(tokens / seconds, 2) : 0]);
    }

    /// <summary>The figures of one level from its samples.</summary>
    /// <param name="roundTokensPerSecond">Each round's own aggregate tokens/s (null: one round, the pooled figure).</param>
    public static LevelResult Summarize(int users, int sent, IReadOnlyList<RequestSample> samples, double seconds, IReadOnlyList<double>? roundTokensPerSecond = null)
    {
        var ttft = new LatencyHistogram(scale: 0.001);
        var tpot = new LatencyHistogram(scale: 0.001);
        var endToEnd = new LatencyHistogram(scale: 0.001);
        var outputTokens = new LatencyHistogram();
        long tokens = 0;
        var completed = 0;
        foreach (var sample in samples.Where(sample => sample.Error is null))
        {
            completed++;
            tokens += sample.OutputTokens;
            outputTokens.Record(sample.OutputTokens);
            endToEnd.Record(Microseconds(sample.End - sample.Start));
            if (sample.FirstToken is { } first)
            {
                ttft.Record(Microseconds(first - sample.Start));
                if (sample.OutputTokens > 1)
                {
                    tpot.Record(Microseconds(sample.End - first) / (sample.OutputTokens - 1));
                }
            }
        }

        var tokensPerSecond = seconds > 0 ? Math.Round(tokens / seconds, 2) : 0;
        roundTokensPerSecond ??= [tokensPerSecond];
        return new LevelResult
        {
            Users = users,
            Sent = sent,
            Completed = completed,
            Errors = samples.Count - completed,
            DurationSeconds = Math.Round(seconds, 3),
            OutputTokens = tokens,
            OutputTokensPerSecond = tokensPerSecond,
            OutputTokensPerSecondByRound = roundTokensPerSecond,
            BestRoundOutputTokensPerSecond = roundTokensPerSecond.Max(),
            RequestsPerSecond = seconds > 0 ? Math.Round(completed / seconds, 3) : 0,
            ScalingVsOneUser = null,
            TtftMs = ttft.ToDistribution(),
            TpotMs = tpot.ToDistribution(),
            EndToEndMs = endToEnd.ToDistribution(),
            OutputTokensPerRequest = outputTokens.ToDistribution(),
            LoadAverage = MachineProbe.LoadAverage(),
            ErrorSamples = samples.Where(sample => sample.Error is not null).Select(sample => sample.Error!).Distinct(StringComparer.Ordinal).Take(5).ToList(),
        };
    }

    /// <summary>
    /// Each target against each one below it in the stack (gateway → direct inference → in-process), at every
    /// concurrency both measured. Ratios are target / baseline.
    /// </summary>
    public static IReadOnlyList<TargetComparison> Compare(IReadOnlyList<TargetResult> results)
    {
        var ordered = results.Where(result => result.Failure is null).OrderBy(result => StackRank(result.Kind)).ToList();
        var comparisons = new List<TargetComparison>();
        for (var upper = 1; upper < ordered.Count; upper++)
        {
            for (var lower = 0; lower < upper; lower++)
            {
                foreach (var level in ordered[upper].Levels)
                {
                    if (ordered[lower].Levels.FirstOrDefault(candidate => candidate.Users == level.Users) is not { } baseline)
                    {
                        continue;
                    }

                    comparisons.Add(new TargetComparison(
                        level.Users, ordered[upper].Name, ordered[lower].Name,
                        Ratio(level.OutputTokensPerSecond, baseline.OutputTokensPerSecond),
                        Ratio(level.BestRoundOutputTokensPerSecond, baseline.BestRoundOutputTokensPerSecond),
                        level.TtftMs is { } ttft && baseline.TtftMs is { } baseTtft ? Math.Round(ttft.P50 - baseTtft.P50, 3) : null,
                        Ratio(level.TtftMs?.P50, baseline.TtftMs?.P50),
                        Ratio(level.TpotMs?.P50, baseline.TpotMs?.P50),
                        Ratio(level.EndToEndMs?.P50, baseline.EndToEndMs?.P50)));
                }
            }
        }

        return comparisons;
    }

    private static int StackRank(string kind) => kind switch
    {
        "inprocess" => 0,
        "openai" => 1,
        _ => 2,
    };

    private static double? Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 ? Math.Round(v / b, 4) : null;

    private static long Microseconds(long stopwatchTicks) => stopwatchTicks * 1_000_000 / Stopwatch.Frequency;

    private int NextNumber() => Interlocked.Increment(ref _requestNumber);

    /// <summary>The kind, or where two targets share a kind (the gateway's OpenAI door beside inference's), kind@host:port.</summary>
    private string NameOf(ILoadTarget target)
    {
        if (targets.Count(other => other.Kind == target.Kind) == 1)
        {
            return target.Kind;
        }

        var where = Uri.TryCreate(target.Address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.Authority
            : Path.GetFileNameWithoutExtension(target.Address);
        return $"{target.Kind}@{where}";
    }

    private static TargetResult ToResult(TargetState state)
    {
        var single = state.Levels.FirstOrDefault(level => level.Users == 1)?.OutputTokensPerSecond;
        return new TargetResult
        {
            Kind = state.Target.Kind,
            Name = state.Name,
            Address = state.Target.Address,
            Model = state.Info?.Model,
            Settings = state.Info?.Settings,
            PromptTokens = state.PromptTokens,
            PromptWords = state.Prompt?.Words ?? 0,
            OutputTokensSource = state.Target.OutputTokensSource,
            Failure = state.Failure,
            Levels = state.Levels.Select(level => level with
            {
                ScalingVsOneUser = single is > 0 ? Math.Round(level.OutputTokensPerSecond / single.Value, 3) : null,
            }).ToList(),
        };
    }

    private sealed class TargetState(ILoadTarget target, string name)
    {
        public ILoadTarget Target { get; } = target;
        public string Name { get; } = name;
        public TargetInfo? Info { get; set; }
        public PromptBuilder? Prompt { get; set; }
        public int PromptTokens { get; set; }
        public string? Failure { get; set; }
        public List<LevelResult> Levels { get; } = [];

        /// <summary>The samples of each concurrency level, pooled over the rounds so far.</summary>
        public Dictionary<int, LevelRun> Runs { get; } = [];
    }

    /// <summary>What one or more runs of a level produced: their requests and the time they took, added up.</summary>
    private sealed record LevelRun(int Sent, IReadOnlyList<RequestSample> Samples, double Seconds, IReadOnlyList<double> RoundTokensPerSecond)
    {
        public LevelRun Add(LevelRun other) => new(
            Sent + other.Sent, [.. Samples, .. other.Samples], Seconds + other.Seconds, [.. RoundTokensPerSecond, .. other.RoundTokensPerSecond]);
    }

    private sealed class SilentProgress : ILoadProgress;
}
