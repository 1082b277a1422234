using System.Security.Cryptography;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// The real GGUF model the tests run on: stories260K, a 260K-parameter Llama trained on TinyStories. Found through
/// OPEACHAT_TEST_MODEL, then ../shared/models/, then models/; otherwise downloaded once into models/ and checked.
/// </summary>
public static class TestModel
{
    public const string FileName = "stories260K.gguf";
    public const string Sha256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
    public const string DownloadUrl = "https://huggingface.co/ggml-org/tiny-llamas/resolve/main/stories260K.gguf";

    private static readonly Lazy<string> s_path = new(Locate);

    public static string Path => s_path.Value;

    private static string Locate()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("OPEACHAT_TEST_MODEL") is { Length: > 0 } configured)
        {
            candidates.Add(System.IO.Path.GetFullPath(configured));
        }

        candidates.Add(System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryPaths.Root, "..", "shared", "models", FileName)));
        var local = System.IO.Path.Combine(RepositoryPaths.Root, "models", FileName);
        candidates.Add(local);

        var found = candidates.FirstOrDefault(File.Exists);
        return found ?? Download(local, candidates);
    }

    private static string Download(string destination, IEnumerable<string> searched)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            var bytes = http.GetByteArrayAsync(new Uri(DownloadUrl)).GetAwaiter().GetResult();
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (hash != Sha256)
            {
                throw new InvalidOperationException($"The downloaded {FileName} has sha256 {hash}, expected {Sha256}.");
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            var partial = destination + ".part";
            File.WriteAllBytes(partial, bytes);
            File.Move(partial, destination, overwrite: true);
            return destination;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"The test model {FileName} was not found (looked at: {string.Join(", ", searched)}) and could not be downloaded from {DownloadUrl}: " +
                $"{exception.Message} Set OPEACHAT_TEST_MODEL to its path, or put it into models/.", exception);
        }
    }
}
