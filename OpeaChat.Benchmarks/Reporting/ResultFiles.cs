using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace OpeaChat.Benchmarks.Reporting;

/// <summary>Writes a result as <c>NAME.json</c> (for tools) and <c>NAME.md</c> (for people) into the output folder.</summary>
public static class ResultFiles
{
    public static readonly string DefaultDirectory = Path.Combine("artifacts", "benchmarks");

    public static async Task<(string Json, string Markdown)> WriteAsync<T>(
        T result, JsonTypeInfo<T> typeInfo, string markdown, string directory, string name, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var jsonPath = Path.GetFullPath(Path.Combine(directory, name + ".json"));
        var markdownPath = Path.GetFullPath(Path.Combine(directory, name + ".md"));
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(result, typeInfo) + "\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(markdownPath, markdown, cancellationToken).ConfigureAwait(false);
        return (jsonPath, markdownPath);
    }
}
