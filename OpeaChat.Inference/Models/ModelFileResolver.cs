using OpeaChat.Inference.Models.Pulls;

namespace OpeaChat.Inference.Models;

/// <summary>The outcome of looking for the model to serve: a file, or a sentence telling the user what to do.</summary>
public sealed record ModelFileResolution(string? Path, string? Problem);

/// <summary>Finds the GGUF file to serve from <see cref="InferenceOptions"/>.</summary>
public static class ModelFileResolver
{
    public const string ExampleModelFileName = "Llama-3.2-3B-Instruct-Q6_K_L.gguf";

    public static ModelFileResolution Resolve(InferenceOptions options)
    {
        var modelsDirectory = LocateRelative(options.ModelsDirectory, Directory.Exists);

        // Run alone, the service honours OPEACHAT_MODEL as the AppHost does; an explicit (even empty) setting wins.
        var modelPath = options.ModelPath ?? Environment.GetEnvironmentVariable("OPEACHAT_MODEL");
        if (!string.IsNullOrWhiteSpace(modelPath))
        {
            var path = LocateRelative(modelPath, File.Exists);
            if (File.Exists(path))
            {
                return new ModelFileResolution(path, null);
            }

            return new ModelFileResolution(null,
                $"The model file '{path}' does not exist. Check OPEACHAT_MODEL (or Inference:ModelPath): it must be the path " +
                $"of a .gguf file, for example {Path.Combine(modelsDirectory, ExampleModelFileName)}.");
        }

        if (Directory.Exists(modelsDirectory))
        {
            // The embedding model and reranker may sit in the same folder; they are never the chat model.
            var candidates = ListModelFiles(modelsDirectory).Where(path => !NamedBy(path, options.EmbeddingModel) && !NamedBy(path, options.RerankModel)).ToList();
            // A pulled embedding model sits beside the chat model without a setting naming it: prefer a chat model.
            var first = candidates.FirstOrDefault(path => !ModelKinds.IsEmbeddingModel(path)) ?? candidates.FirstOrDefault();
            if (first is not null)
            {
                return new ModelFileResolution(first, null);
            }
        }

        return new ModelFileResolution(null, NoModelMessage(modelsDirectory));
    }

    private static bool NamedBy(string path, string? setting) =>
        !string.IsNullOrWhiteSpace(setting)
        && (Path.GetFileNameWithoutExtension(path) == setting || Path.GetFullPath(path) == LocateRelative(setting, File.Exists));

    /// <summary>
    /// The <c>*.gguf</c> files directly in a folder, in name order, leaving out links that point outside it and the
    /// second and later parts of split models (llama.cpp loads a split model from its first part).
    /// </summary>
    public static IEnumerable<string> ListModelFiles(string modelsDirectory)
    {
        var root = Path.GetFullPath(modelsDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(modelsDirectory, "*.gguf")
            .Where(path => !GgufParts.IsLaterPart(path))
            .Order(StringComparer.Ordinal)
            .Where(path => StaysInside(path, root));
    }

    private static bool StaysInside(string path, string root)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null)
        {
            return true;
        }

        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        return target is { Exists: true } && Path.GetFullPath(target.FullName).StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>
    /// A relative path is tried against the working directory, then against its parent: <c>dotnet run --project X</c>
    /// runs in the project folder, while people write paths relative to the repository root they typed the command in.
    /// </summary>
    public static string LocateRelative(string path, Func<string, bool> exists)
    {
        var fromWorkingDirectory = Path.GetFullPath(path);
        if (Path.IsPathRooted(path) || exists(fromWorkingDirectory))
        {
            return fromWorkingDirectory;
        }

        var fromParent = Path.GetFullPath(Path.Combine("..", path));
        return exists(fromParent) ? fromParent : fromWorkingDirectory;
    }

    public static string NoModelMessage(string modelsDirectory) =>
        $"No model found. Put a GGUF model file into {modelsDirectory} (for example {ExampleModelFileName}), " +
        "or set the environment variable OPEACHAT_MODEL to the path of a .gguf file, then restart OpeaChat.";
}
