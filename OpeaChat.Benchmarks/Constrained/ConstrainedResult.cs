using OpeaChat.Benchmarks.Load;

namespace OpeaChat.Benchmarks.Constrained;

/// <summary>The three kinds of request a <c>constrained</c> run sends, in its JSON's words.</summary>
public static class ConstrainedKinds
{
    public const string Unconstrained = "unconstrained";
    public const string JsonSchema = "json_schema";
    public const string Tools = "tools";

    /// <summary>The tools request's prompt (the same tools shown) with <c>tool_choice: "none"</c>: the baseline of <see cref="Tools"/>.</summary>
    public const string ToolsUnconstrained = "tools_unconstrained";

    public static readonly IReadOnlyList<string> All = [Unconstrained, JsonSchema, ToolsUnconstrained, Tools];

    /// <summary>What a kind is compared with: the same prompt without the grammar.</summary>
    public static string BaselineOf(string kind) => kind == Tools ? ToolsUnconstrained : Unconstrained;

    public static bool IsBaseline(string kind) => kind is Unconstrained or ToolsUnconstrained;
}

/// <summary>One measured request.</summary>
/// <param name="DecodeTokensPerSecond">(completion_tokens - 1) / (last delta - first delta): the decode rate after the first token.</param>
public sealed record ConstrainedSample(
    int Round, int CompletionTokens, string? FinishReason, double TtftMs, double DecodeMs, double DecodeTokensPerSecond, int OutputCharacters)
{
    /// <summary>
    /// completion_tokens / (request sent to last delta): unlike the decode rate it does not depend on when the first
    /// delta shows (a tool call's head is held back until its name is known), so it compares kinds with the same prompt fairly.
    /// </summary>
    public double RequestTokensPerSecond => TtftMs + DecodeMs > 0 ? Math.Round(CompletionTokens / ((TtftMs + DecodeMs) / 1000), 2) : 0;
}

/// <summary>One kind's requests: the first (which pays for building and caching its grammar) apart from the rest.</summary>
public sealed record ConstrainedKindResult
{
    public required string Kind { get; init; }

    /// <summary>What holds the reply: nothing, <c>response_format</c> or <c>tools</c> with <c>tool_choice: "required"</c>.</summary>
    public required string Constraint { get; init; }

    /// <summary>Whether the kind's requests sent <c>ignore_eos: true</c>.</summary>
    public required bool IgnoreEos { get; init; }

    /// <summary>Round 1's request: the server's first with this kind's grammar in this run.</summary>
    public required ConstrainedSample First { get; init; }

    /// <summary>Rounds 2 to N.</summary>
    public required IReadOnlyList<ConstrainedSample> Rest { get; init; }

    /// <summary>p50 of <see cref="Rest"/>'s decode rates.</summary>
    public required double DecodeTokensPerSecondP50 { get; init; }

    /// <summary>p50 of <see cref="Rest"/>'s whole-request rates (what the goal is judged on).</summary>
    public required double RequestTokensPerSecondP50 { get; init; }

    public required double TtftMsP50 { get; init; }

    /// <summary>Requests of <see cref="Rest"/> that stopped before <c>max_tokens</c> (their rate is over fewer tokens).</summary>
    public required int EndedEarly { get; init; }
}

/// <summary>A constrained kind against the unconstrained one, both p50 of the same run's rounds 2 to N.</summary>
public sealed record ConstrainedRatio(string Kind, string Baseline, double RequestTokensPerSecondRatio, double DecodeTokensPerSecondRatio, double FirstRequestDecodeRatio, double TtftP50DeltaMs, double FirstRequestTtftDeltaMs, bool MeetsGoal);

public sealed record ConstrainedWorkload(
    string Prompt, int MaxTokens, int Rounds, float Temperature, int TopK, int Seed, int ArrayItems, int WarmupRequests);

/// <summary>The results of one <c>constrained</c> run (stable snake_case JSON; <see cref="SchemaVersion"/> changes when it does).</summary>
public sealed record ConstrainedResult
{
    public const string SchemaVersion = "opeachat-benchmarks/constrained/1";

    /// <summary>Issue 14's goal: constrained decoding keeps at least this share of the unconstrained decode rate.</summary>
    public const double Goal = 0.9;

    public string Schema { get; init; } = SchemaVersion;
    public required string Target { get; init; }
    public required string? Model { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required MachineInfo Machine { get; init; }
    public required ConstrainedWorkload Workload { get; init; }
    public double GoalRatio { get; init; } = Goal;

    /// <summary>Unconstrained, json_schema, tools.</summary>
    public required IReadOnlyList<ConstrainedKindResult> Kinds { get; init; }

    /// <summary>json_schema and tools, each against unconstrained.</summary>
    public required IReadOnlyList<ConstrainedRatio> Ratios { get; init; }
}
