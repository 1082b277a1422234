using System.Globalization;
using System.Text;
using OpeaChat.Benchmarks.Constrained;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Prefix;

namespace OpeaChat.Benchmarks.Reporting;

/// <summary>The Markdown tables of a result, as written to NAME.md and pasted into docs/benchmarks.md.</summary>
public static class MarkdownReport
{
    private static readonly CultureInfo s_culture = CultureInfo.InvariantCulture;

    public static string Load(LoadResult result)
    {
        var text = new StringBuilder();
        var workload = result.Workload;
        text.AppendLine(s_culture, $"# Load: {string.Join(", ", result.Targets.Select(target => target.Name))}");
        text.AppendLine();
        text.AppendLine(s_culture, $"{result.StartedAt:u}, {result.Machine.CpuModel}, {result.Machine.LogicalCores} logical cores, load average {result.Machine.LoadAverageAtStart ?? "n/a"} at start.");
        text.AppendLine(s_culture, $"Each user sends {workload.RequestsPerUser} streamed requests one after another{(workload.Rounds > 1 ? string.Create(s_culture, $", in each of {workload.Rounds} rounds (levels pooled over the rounds, targets taking turns)") : string.Empty)}: a prompt of {workload.PromptTokens} tokens (at most; calibrated per target), " +
            $"{workload.MaxTokens} output tokens asked (ignore_eos), temperature {workload.Temperature}, top_k {workload.TopK}, top_p {workload.TopP}, repeat penalty {workload.RepeatPenalty}, " +
            $"cache_prompt {(workload.CachePrompt is { } cache ? cache ? "true" : "false" : "not sent")}; {workload.WarmupRequests} warm-up request(s) per target not counted.");
        text.AppendLine();
        foreach (var target in result.Targets)
        {
            text.AppendLine(s_culture, $"## {target.Name}: {target.Model ?? "?"}");
            text.AppendLine();
            text.AppendLine(s_culture, $"`{target.Address}`; prompt {target.PromptTokens} tokens; output counted by {target.OutputTokensSource}{DescribeSettings(target.Settings)}.");
            text.AppendLine();
            if (target.Failure is { } failure)
            {
                text.AppendLine(s_culture, $"Not measured: {failure}");
                text.AppendLine();
                continue;
            }

            text.AppendLine("| Users | Sent | OK | Errors | Tokens/req | TTFT p50 / p90 / p99 (ms) | TPOT p50 / p90 / p99 (ms) | E2E p50 / p90 / p99 (ms) | Output tok/s (best round) | Req/s | × 1 user |");
            text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var level in target.Levels)
            {
                var best = level.OutputTokensPerSecondByRound.Count > 1 ? string.Create(s_culture, $" ({level.BestRoundOutputTokensPerSecond:F1})") : string.Empty;
                text.AppendLine(s_culture,
                    $"| {level.Users} | {level.Sent} | {level.Completed} | {level.Errors} | {TokensPerRequest(level.OutputTokensPerRequest)} | {Triple(level.TtftMs)} | {Triple(level.TpotMs, "F2")} | {Triple(level.EndToEndMs)} | {level.OutputTokensPerSecond:F1}{best} | {level.RequestsPerSecond:F2} | {Number(level.ScalingVsOneUser, "F2")} |");
            }

            var errors = target.Levels.SelectMany(level => level.ErrorSamples).Distinct(StringComparer.Ordinal).Take(5).ToList();
            if (errors.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("Errors seen:");
                foreach (var error in errors)
                {
                    text.AppendLine(s_culture, $"- `{error.Replace('`', '\'')}`");
                }
            }

            text.AppendLine();
        }

        if (result.Comparisons.Count > 0)
        {
            text.AppendLine("## Ratios (target / baseline, same run)");
            text.AppendLine();
            text.AppendLine("| Users | Target | Baseline | Output tok/s ratio | Best-round tok/s ratio | TTFT p50 Δ (ms) | TTFT p50 ratio | TPOT p50 ratio | E2E p50 ratio |");
            text.AppendLine("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var comparison in result.Comparisons.OrderBy(comparison => comparison.Target).ThenBy(comparison => comparison.Baseline).ThenBy(comparison => comparison.Users))
            {
                text.AppendLine(s_culture,
                    $"| {comparison.Users} | {comparison.Target} | {comparison.Baseline} | {Number(comparison.OutputTokensPerSecondRatio, "F3")} | {Number(comparison.BestRoundOutputTokensPerSecondRatio, "F3")} | {Number(comparison.TtftP50DeltaMs, "F2")} | {Number(comparison.TtftP50Ratio, "F2")} | {Number(comparison.TpotP50Ratio, "F3")} | {Number(comparison.EndToEndP50Ratio, "F3")} |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    public static string Prefix(PrefixResult result)
    {
        var with = result.Runs[0];
        var without = result.Runs[1];
        var text = new StringBuilder();
        text.AppendLine(s_culture, $"# Prefix reuse: {result.Model}, {result.TurnCount} turns, {result.MaxTokens} tokens a reply");
        text.AppendLine();
        text.AppendLine(s_culture, $"Target {result.Target}, {result.StartedAt:u}, {result.Machine.CpuModel}, {result.Machine.LogicalCores} logical cores.");
        text.AppendLine();
        text.AppendLine("| Turn | Prompt tokens | Reused tokens | With reuse (ms) | Without reuse (ms) | Ratio |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < with.Turns.Count; i++)
        {
            var a = with.Turns[i];
            var b = without.Turns[i];
            text.AppendLine(s_culture, $"| {a.Turn} | {a.PromptTokens} | {a.CachedTokens} | {a.Milliseconds:F1} | {b.Milliseconds:F1} | {b.Milliseconds / a.Milliseconds:F2} |");
        }

        text.AppendLine(s_culture, $"| all | | | {with.TotalMilliseconds:F1} | {without.TotalMilliseconds:F1} | {result.Speedup:F2} |");
        return text.ToString();
    }

    public static string Constrained(ConstrainedResult result)
    {
        var workload = result.Workload;
        var text = new StringBuilder();
        text.AppendLine(s_culture, $"# Constrained decoding: {result.Model ?? "?"}, {workload.MaxTokens} tokens a reply, {workload.Rounds} rounds");
        text.AppendLine();
        text.AppendLine(s_culture, $"Target {result.Target}, {result.StartedAt:u}, {result.Machine.CpuModel}, {result.Machine.LogicalCores} logical cores, load average {result.Machine.LoadAverageAtStart ?? "n/a"} at start.");
        text.AppendLine(s_culture, $"Streamed, temperature {workload.Temperature}, top_k {workload.TopK}, seed {workload.Seed} + round; schema: an array of {workload.ArrayItems} objects; {workload.WarmupRequests} unconstrained warm-up request(s).");
        text.AppendLine("Request rate = completion_tokens / (sent to last delta), what the goal is judged on; decode rate = (completion_tokens - 1) / (first to last delta); p50 over rounds 2 to N, round 1 (the first with its grammar) apart.");
        text.AppendLine();
        text.AppendLine("| Kind | Constraint | ignore_eos | Tokens | Request tok/s p50 | Decode tok/s p50 | TTFT p50 (ms) | Round 1 tok/s | Round 1 TTFT (ms) | Ended early |");
        text.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var kind in result.Kinds)
        {
            var tokens = kind.Rest.Select(sample => sample.CompletionTokens).Append(kind.First.CompletionTokens).Distinct().Order().ToList();
            text.AppendLine(s_culture,
                $"| {kind.Kind} | {kind.Constraint} | {(kind.IgnoreEos ? "true" : "not sent")} | {(tokens.Count > 1 ? string.Create(s_culture, $"{tokens[0]}–{tokens[^1]}") : tokens[0].ToString(s_culture))} | {kind.RequestTokensPerSecondP50:F1} | {kind.DecodeTokensPerSecondP50:F1} | {kind.TtftMsP50:F2} | {kind.First.DecodeTokensPerSecond:F1} | {kind.First.TtftMs:F2} | {kind.EndedEarly} |");
        }

        text.AppendLine();
        text.AppendLine(s_culture, $"| Kind | Baseline | Request p50 ratio | Decode p50 ratio | Round 1 ratio | TTFT p50 Δ (ms) | Round 1 TTFT Δ (ms) | Goal ≥ {result.GoalRatio:F1} |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var ratio in result.Ratios)
        {
            text.AppendLine(s_culture,
                $"| {ratio.Kind} | {ratio.Baseline} | {ratio.RequestTokensPerSecondRatio:F3} | {ratio.DecodeTokensPerSecondRatio:F3} | {ratio.FirstRequestDecodeRatio:F3} | {ratio.TtftP50DeltaMs:F2} | {ratio.FirstRequestTtftDeltaMs:F2} | {(ratio.MeetsGoal ? "met" : "missed")} |");
        }

        return text.ToString();
    }

    private static string DescribeSettings(TargetSettings? settings)
    {
        if (settings is null)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        if (settings.Threads is { } threads)
        {
            parts.Add(string.Create(s_culture, $"{threads} threads"));
        }

        if (settings.MaxParallelSequences is { } parallel)
        {
            parts.Add(string.Create(s_culture, $"{parallel} parallel sequences"));
        }

        if (settings.ContextSize is { } context)
        {
            parts.Add(string.Create(s_culture, $"context {context}"));
        }

        if (settings.FlashAttention is { } flash)
        {
            parts.Add(flash ? "flash attention" : "no flash attention");
        }

        return parts.Count == 0 ? string.Empty : "; " + string.Join(", ", parts);
    }

    private static string Triple(Distribution? distribution, string format = "F1") => distribution is null
        ? "–"
        : string.Create(s_culture, $"{distribution.P50.ToString(format, s_culture)} / {distribution.P90.ToString(format, s_culture)} / {distribution.P99.ToString(format, s_culture)}");

    private static string TokensPerRequest(Distribution? distribution) => distribution is null
        ? "–"
        : distribution.Min == distribution.Max
            ? distribution.Min.ToString("F0", s_culture)
            : string.Create(s_culture, $"{distribution.Mean:F1} ({distribution.Min:F0}–{distribution.Max:F0})");

    private static string Number(double? value, string format) => value is { } v ? v.ToString(format, s_culture) : "–";
}
