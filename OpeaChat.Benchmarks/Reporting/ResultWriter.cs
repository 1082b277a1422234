using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpeaChat.Benchmarks.Prefix;

namespace OpeaChat.Benchmarks.Reporting;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(PrefixResult))]
public sealed partial class BenchmarkJsonContext : JsonSerializerContext;

/// <summary>Writes each result as JSON (for tools) and Markdown (for people) into the output folder.</summary>
public static class ResultWriter
{
    public static async Task<(string Json, string Markdown)> WriteAsync(PrefixResult result, string outputDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        var json = Path.Combine(outputDirectory, "prefix.json");
        var markdown = Path.Combine(outputDirectory, "prefix.md");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(result, BenchmarkJsonContext.Default.PrefixResult), cancellationToken);
        await File.WriteAllTextAsync(markdown, ToMarkdown(result), cancellationToken);
        return (json, markdown);
    }

    public static string ToMarkdown(PrefixResult result)
    {
        var with = result.Runs[0];
        var without = result.Runs[1];
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        text.AppendLine(culture, $"# Prefix reuse: {result.Model}, {result.TurnCount} turns, {result.MaxTokens} tokens a reply");
        text.AppendLine();
        text.AppendLine(culture, $"Target {result.Target}, {result.StartedAt:u}.");
        text.AppendLine();
        text.AppendLine("| Turn | Prompt tokens | Reused tokens | With reuse (ms) | Without reuse (ms) | Ratio |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < with.Turns.Count; i++)
        {
            var a = with.Turns[i];
            var b = without.Turns[i];
            text.AppendLine(culture, $"| {a.Turn} | {a.PromptTokens} | {a.CachedTokens} | {a.Milliseconds:F1} | {b.Milliseconds:F1} | {b.Milliseconds / a.Milliseconds:F2} |");
        }

        text.AppendLine(culture, $"| all | | | {with.TotalMilliseconds:F1} | {without.TotalMilliseconds:F1} | {without.TotalMilliseconds / with.TotalMilliseconds:F2} |");
        return text.ToString();
    }
}
