using Microsoft.Extensions.Configuration;

namespace OpeaChat.AppHost;

/// <summary>
/// Which GGUF file the inference service serves: <c>OPEACHAT_MODEL</c> wins, else the first <c>*.gguf</c> in the
/// repository's <c>models/</c> folder. None is a valid answer: the app still starts and says what to do.
/// </summary>
internal sealed record ModelSelection(string ModelsDirectory, string? ModelPath, string? RequestedPath)
{
    public const string VariableName = "OPEACHAT_MODEL";

    public bool Found => ModelPath is not null;

    public static ModelSelection Resolve(IConfiguration configuration, string repositoryRoot)
    {
        var modelsDirectory = Path.GetFullPath(configuration["OpeaChat:ModelsDirectory"] is { Length: > 0 } configured
            ? Path.Combine(repositoryRoot, configured)
            : Path.Combine(repositoryRoot, "models"));
        var requested = configuration[VariableName];
        if (!string.IsNullOrWhiteSpace(requested))
        {
            // Relative paths are relative to where the command was typed, or failing that to the repository root.
            var candidates = Path.IsPathRooted(requested)
                ? [requested]
                : new[] { Path.GetFullPath(requested), Path.GetFullPath(Path.Combine(repositoryRoot, requested)) };
            var existing = candidates.FirstOrDefault(File.Exists);
            return new ModelSelection(modelsDirectory, existing, Path.GetFullPath(candidates[0]));
        }

        var first = Directory.Exists(modelsDirectory)
            ? Directory.EnumerateFiles(modelsDirectory, "*.gguf").Order(StringComparer.Ordinal).FirstOrDefault()
            : null;
        return new ModelSelection(modelsDirectory, first, null);
    }
}
