using System.Globalization;
using System.Text;

namespace OpeaChat.Benchmarks.Browser;

/// <summary>The Markdown of a browser run, as written to NAME.md and pasted into docs/benchmarks.md.</summary>
public static class BrowserReport
{
    private static readonly CultureInfo s_culture = CultureInfo.InvariantCulture;

    public static string Markdown(BrowserResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var w = result.Workload;
        var text = new StringBuilder();
        text.AppendLine(s_culture, $"# Browser: the chat page against the gateway, {result.Model ?? "?"}");
        text.AppendLine();
        text.AppendLine(s_culture, $"{result.StartedAt:u}; web {result.Web}, gateway {result.Gateway}; {result.Browser}, {w.ViewportWidth}×{w.ViewportHeight}.");
        text.AppendLine(s_culture, $"{result.Machine.CpuModel}, {result.Machine.LogicalCores} logical cores; load average {result.Machine.LoadAverageAtStart ?? "n/a"} at start, {result.Machine.LoadAverageAtEnd ?? "n/a"} at end.");
        text.AppendLine(s_culture, $"Prompt \"{w.Prompt}\", {w.Sends} round(s) (each: page new chat, gateway /v1/chatqna, gateway new conversation, page continuing chat, gateway continuing conversation), max_tokens {(w.MaxTokens is { } max ? max.ToString(s_culture) : "the gateway's default")}, {w.WarmupSends} uncounted warm-up round(s).");
        text.AppendLine();

        text.AppendLine("## First load (fresh context, empty cache; ms from navigation start)");
        text.AppendLine();
        text.AppendLine("| Load | Box shown | Text area defined | Input wired (usable) | Page ready | FCP | DOMContentLoaded | load | Resources | Transferred (KiB) | Decoded (KiB) | Long tasks (longest ms) | Typing works |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var load in result.Loads)
        {
            text.AppendLine(s_culture,
                $"| {load.Load} | {load.InputShownMs:F0} | {N(load.TextareaDefinedMs, "F0")} | {load.InputWiredMs:F0} | {load.PageReadyMs:F0} | {N(load.FirstContentfulPaintMs, "F0")} | {N(load.DomContentLoadedMs, "F0")} | {N(load.LoadEventMs, "F0")} | {load.Resources} | {load.TransferBytes / 1024.0:F1} | {load.DecodedBodyBytes / 1024.0:F1} | {Tasks(load.LongTasks)} | {(load.TypingWorks ? "yes" : "no")} |");
        }

        text.AppendLine();
        text.AppendLine(s_culture, $"Input usable p50 {N(result.InputWiredMs?.P50, "F0")} ms (goal ≤ {result.Goals.InputUsableMs:F0} ms: {Goal(result.InputWiredMs?.P50 <= result.Goals.InputUsableMs)}), page ready p50 {N(result.PageReadyMs?.P50, "F0")} ms, transferred p50 {N(result.TransferBytes?.P50 / 1024, "F1")} KiB.");
        text.AppendLine();

        text.AppendLine("## Sends (ms from Enter for the page, from the request for the gateway)");
        text.AppendLine();
        text.AppendLine("| Kind | N | First paint / TTFT p50 / p90 | First DOM text p50 / p90 | Stored p50 / p90 | Tokens/s p50 / p90 | Chars/s p50 | Tokens p50 (min–max) | Long tasks (longest ms) | Errors |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var summary in result.Summaries)
        {
            text.AppendLine(s_culture,
                $"| {summary.Kind} | {summary.Count} | {Pair(summary.FirstTokenMs)} | {Pair(summary.FirstTextMs)} | {Pair(summary.StoredMs)} | {Pair(summary.TokensPerSecond)} | {N(summary.CharactersPerSecond?.P50, "F0")} | {Tokens(summary.Tokens)} | {summary.LongTasks} ({summary.LongestTaskMs:F0}) | {summary.Errors} |");
        }

        text.AppendLine();
        text.AppendLine(s_culture, $"| Page | Gateway | First paint − TTFT p50 (ms) | p90 (ms) | First paint ÷ TTFT p50 | Painted ÷ streamed tok/s | Painted ÷ same reply at gateway | Stored − gateway stored p50 (ms) | Goal: ≤ +{result.Goals.FirstPaintOverTtftMs:F0} ms | Goal: ≥ {result.Goals.TokensPerSecondRatio:F2} |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var c in result.Comparisons)
        {
            text.AppendLine(s_culture,
                $"| {c.Page} | {c.Gateway} | {N(c.FirstPaintOverTtftP50Ms, "F1")} | {N(c.FirstPaintOverTtftP90Ms, "F1")} | {N(c.FirstPaintRatioP50, "F1")} | {N(c.TokensPerSecondRatio, "F3")} | {N(c.PaintedOverSameReplyP50, "F3")} | {N(c.StoredOverGatewayStoredP50Ms, "F1")} | {Goal(c.MeetsFirstPaintGoal)} | {Goal(c.MeetsTokensPerSecondGoal)} |");
        }

        text.AppendLine();
        text.AppendLine("Page sends, one row each:");
        text.AppendLine();
        text.AppendLine("| Round | Kind | First text | First paint | Paint done | Next frame | Last paint | Stored | Send enabled | Chars | Tokens | Painted frames | Painted tok/s | Gateway tok/s (same reply) | Long tasks |");
        text.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in result.PageSends)
        {
            text.AppendLine(s_culture,
                $"| {s.Round} | {s.Kind} | {s.FirstTextMs:F1} | {s.FirstPaintMs:F1} | {s.FirstPaintAfterMs:F1} | {s.FirstPaintNextFrameMs:F1} | {s.LastPaintMs:F1} | {s.StoredMs:F1} | {s.SendEnabledMs:F1} | {s.Characters} | {N(s.CompletionTokens, "F0")} | {s.PaintedFrames} | {N(s.PaintedTokensPerSecond, "F1")} | {N(s.StoredTokensPerSecond, "F1")} | {Tasks(s.LongTasks)} |");
        }

        var errors = result.GatewaySends.Where(send => send.Error is not null).Select(send => send.Error!).Distinct(StringComparer.Ordinal).Take(5).ToList();
        if (errors.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Gateway errors seen:");
            foreach (var error in errors)
            {
                text.AppendLine(s_culture, $"- `{error.Replace('`', '\'')}`");
            }
        }

        if (result.LongReply is { } longReply)
        {
            text.AppendLine();
            text.AppendLine(s_culture, $"## Long reply ({longReply.AskedTokens} tokens asked)");
            text.AppendLine();
            text.AppendLine(s_culture, $"Method: {longReply.Method}.");
            text.AppendLine();
            text.AppendLine("| Tokens asked | Tokens reached | Chars | First paint (ms) | Stored (ms) | Painted tok/s | Gateway tokens | Gateway TTFT (ms) | Gateway streamed tok/s | Ratio | Painted frames | Longest gap between growths (ms) | Long tasks | Longest task (ms) | Goal: none over " + result.Goals.LongTaskMs.ToString("F0", s_culture) + " ms |");
            text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            text.AppendLine(s_culture,
                $"| {longReply.AskedTokens} | {N(longReply.CompletionTokens, "F0")} | {longReply.Characters} | {longReply.FirstPaintMs:F1} | {longReply.StoredMs:F0} | {N(longReply.PaintedTokensPerSecond, "F1")} | {longReply.GatewayTokens} | {N(longReply.GatewayTtftMs, "F1")} | {N(longReply.GatewayTokensPerSecond, "F1")} | {N(longReply.TokensPerSecondRatio, "F3")} | {longReply.PaintedFrames} | {N(longReply.LongestFrameGapMs, "F1")} | {longReply.LongTasks.Count} | {longReply.LongestTaskMs:F0} | {Goal(longReply.LongTasks.All(task => task.DurationMs <= result.Goals.LongTaskMs))} |");
            if (longReply.LongTasks.Count > 0)
            {
                text.AppendLine();
                text.AppendLine(s_culture, $"Long tasks (ms after Enter: duration): {string.Join(", ", longReply.LongTasks.Select(task => string.Create(s_culture, $"{task.StartMs:F0}: {task.DurationMs:F0}")))}.");
            }

            if (longReply.LongFrames.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("Long animation frames while it streamed (ms after Enter; the scripts that ran in each, longest first):");
                text.AppendLine();
                text.AppendLine("| Start | Duration | Blocking | Style+layout+paint | Scripts |");
                text.AppendLine("| ---: | ---: | ---: | ---: | --- |");
                foreach (var frame in longReply.LongFrames)
                {
                    var scripts = string.Join("; ", frame.Scripts.OrderByDescending(script => script.DurationMs).Take(4)
                        .Select(script => string.Create(s_culture, $"{script.Invoker} ({script.Source}) {script.DurationMs:F0} ms{(script.ForcedStyleLayoutMs > 0 ? string.Create(s_culture, $", forced layout {script.ForcedStyleLayoutMs:F0}") : string.Empty)}")));
                    text.AppendLine(s_culture, $"| {frame.StartMs:F0} | {frame.DurationMs:F0} | {frame.BlockingMs:F0} | {frame.StyleLayoutMs:F0} | {(scripts.Length == 0 ? "–" : scripts.Replace("|", "\\|", StringComparison.Ordinal))} |");
                }
            }

            if (longReply.Failure is { } failure)
            {
                text.AppendLine();
                text.AppendLine(s_culture, $"The gateway's request failed: {failure}");
            }
        }

        return text.ToString();
    }

    private static string Pair(Stat? stat) => stat is null ? "–" : string.Create(s_culture, $"{stat.P50:F1} / {stat.P90:F1}");

    private static string Tokens(Stat? stat) => stat is null ? "–" : string.Create(s_culture, $"{stat.P50:F0} ({stat.Min:F0}–{stat.Max:F0})");

    private static string Tasks(IReadOnlyList<LongTask> tasks) =>
        tasks.Count == 0 ? "0" : string.Create(s_culture, $"{tasks.Count} ({tasks.Max(task => task.DurationMs):F0})");

    private static string Goal(bool? met) => met switch { true => "met", false => "missed", null => "–" };

    private static string N(double? value, string format) => value is { } v && double.IsFinite(v) ? v.ToString(format, s_culture) : "–";

    private static string N(int? value, string format) => value is { } v ? v.ToString(format, s_culture) : "–";
}
