namespace OpeaChat.Inference.Models;

/// <summary>A GGUF file the server can serve; <see cref="Id"/> is its file name without the extension.</summary>
public sealed record ModelFile(string Id, string Path, long SizeBytes)
{
    public static ModelFile FromPath(string path) =>
        new(System.IO.Path.GetFileNameWithoutExtension(path), System.IO.Path.GetFullPath(path), new FileInfo(path).Length);
}
