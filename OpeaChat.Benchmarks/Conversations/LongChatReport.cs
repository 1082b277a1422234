using System.Globalization;
using System.Text;

namespace OpeaChat.Benchmarks.Conversations;

/// <summary>The Markdown of a long-chat run: the set-up, then one row per operation.</summary>
public static class LongChatReport
{
    public static string Markdown(LongChatResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var w = result.Workload;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Long chat: {w.Messages:N0} messages in one chain, {w.Database}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {result.Machine.CpuModel}, {result.Machine.LogicalCores} cores, {result.Machine.Runtime}; load average {result.Machine.LoadAverageAtStart ?? "n/a"} at start, {result.Machine.LoadAverageAtEnd ?? "n/a"} at end.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Runs: {w.Runs} (median shown; each run on a new database). JSON export {result.JsonExportBytes / 1048576.0:F1} MiB, Markdown {result.MarkdownExportBytes / 1048576.0:F1} MiB; trimming left out {result.TrimmedTurns:N0} turns.");
        text.AppendLine();
        text.AppendLine("| Operation | What it does | Median | All runs |");
        text.AppendLine("| --- | --- | ---: | --- |");
        foreach (var timing in result.Timings)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {timing.Operation} | {timing.What} | {Format(timing.Median)} | {string.Join(", ", timing.Milliseconds.Select(Format))} |");
        }

        return text.ToString();
    }

    private static string Format(double milliseconds) =>
        milliseconds >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1000:F2} s") : string.Create(CultureInfo.InvariantCulture, $"{milliseconds:F0} ms");
}
