namespace OpeaChat.Benchmarks.Load;

/// <summary>
/// The results of one <c>load</c> run: every figure is a distribution or a ratio measured in this run.
/// The JSON names (snake_case) are a stable schema; <see cref="SchemaVersion"/> changes when they do.
/// </summary>
public sealed record LoadResult
{
    public const string SchemaVersion = "opeachat-benchmarks/load/1";

    public string Schema { get; init; } = SchemaVersion;
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required MachineInfo Machine { get; init; }
    public required WorkloadInfo Workload { get; init; }
    public required IReadOnlyList<TargetResult> Targets { get; init; }

    /// <summary>Each target against the baseline at the same concurrency (empty with one target).</summary>
    public required IReadOnlyList<TargetComparison> Comparisons { get; init; }
}

/// <summary>Where the run happened; load averages show when something else shared the machine.</summary>
public sealed record MachineInfo(string CpuModel, int LogicalCores, string Os, string Runtime, string? LoadAverageAtStart, string? LoadAverageAtEnd);

public sealed record WorkloadInfo(
    IReadOnlyList<int> Users, int RequestsPerUser, int Rounds, int PromptTokens, int MaxTokens, int WarmupRequests,
    float Temperature, float TopP, int TopK, float RepeatPenalty, long Seed, bool? CachePrompt, double RequestTimeoutSeconds);

public sealed record TargetResult
{
    public required string Kind { get; init; }

    /// <summary>How the tables and comparisons call it: the kind, or kind@host:port when two targets share a kind.</summary>
    public required string Name { get; init; }
    public required string Address { get; init; }
    public required string? Model { get; init; }
    public required TargetSettings? Settings { get; init; }

    /// <summary>The calibrated prompt's length as this target counts it (template included).</summary>
    public required int PromptTokens { get; init; }
    public required int PromptWords { get; init; }

    /// <summary>How output tokens were counted: usage, events (OPEA) or exact (in-process).</summary>
    public required string OutputTokensSource { get; init; }
    public required IReadOnlyList<LevelResult> Levels { get; init; }

    /// <summary>Why the target was not measured (it failed to start or calibrate), else null.</summary>
    public string? Failure { get; init; }
}

/// <summary>One concurrency level of one target. <see cref="Sent"/> = <see cref="Completed"/> + <see cref="Errors"/>.</summary>
public sealed record LevelResult
{
    public required int Users { get; init; }
    public required int Sent { get; init; }
    public required int Completed { get; init; }
    public required int Errors { get; init; }

    /// <summary>From the first request sent to the last one finished.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Output tokens of completed requests.</summary>
    public required long OutputTokens { get; init; }
    public required double OutputTokensPerSecond { get; init; }

    /// <summary>Each round's own aggregate tokens/s, in order (one item without rounds).</summary>
    public required IReadOnlyList<double> OutputTokensPerSecondByRound { get; init; }

    /// <summary>
    /// The best round: on a shared machine other work only ever slows a round down, so the best of several short
    /// interleaved rounds is the closest to the target's own speed.
    /// </summary>
    public required double BestRoundOutputTokensPerSecond { get; init; }
    public required double RequestsPerSecond { get; init; }

    /// <summary>Aggregate tokens/s at this level divided by the same target's at 1 user (null without a 1-user level).</summary>
    public required double? ScalingVsOneUser { get; init; }

    /// <summary>Time to first token (ms): request sent to first text piece received.</summary>
    public required Distribution? TtftMs { get; init; }

    /// <summary>Time per output token after the first (ms): (end - first token) / (output tokens - 1).</summary>
    public required Distribution? TpotMs { get; init; }

    /// <summary>End-to-end latency (ms): request sent to the stream's end.</summary>
    public required Distribution? EndToEndMs { get; init; }

    /// <summary>Output tokens per completed request (shows replies that ended before max_tokens).</summary>
    public required Distribution? OutputTokensPerRequest { get; init; }

    /// <summary>/proc/loadavg when the level ended.</summary>
    public required string? LoadAverage { get; init; }

    /// <summary>Up to five distinct error messages.</summary>
    public required IReadOnlyList<string> ErrorSamples { get; init; }
}

/// <summary>A distribution from an HdrHistogram (3 significant digits).</summary>
public sealed record Distribution(long Count, double Mean, double P50, double P90, double P99, double Min, double Max);

/// <summary>A target against the baseline at one concurrency (both by <see cref="TargetResult.Name"/>): ratios are target / baseline.</summary>
public sealed record TargetComparison(
    int Users, string Target, string Baseline, double? OutputTokensPerSecondRatio, double? BestRoundOutputTokensPerSecondRatio,
    double? TtftP50DeltaMs, double? TtftP50Ratio, double? TpotP50Ratio, double? EndToEndP50Ratio);
