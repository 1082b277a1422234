using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>A fresh folder under the temp directory, removed afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "opeachat-tests", Guid.NewGuid().ToString("N"));
    }

    /// <summary>Not created: the code under test must create it.</summary>
    public string Path { get; }

    public string DatabasePath => System.IO.Path.Combine(Path, "opeachat.db");

    public void Dispose()
    {
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the OS to clean; never fail a test over it.
        }
    }
}

/// <summary>One gateway per test class, on its own data directory.</summary>
public sealed class GatewayFixture : IDisposable
{
    private readonly TempDirectory _directory = new();

    public GatewayFixture()
    {
        Host = GatewayHost.StartWithoutInference(_directory.Path);
    }

    public GatewayHost Host { get; }

    public HttpClient Client => Host.Client;

    public void Dispose()
    {
        Host.Dispose();
        _directory.Dispose();
    }
}

internal static class JsonHelpers
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static async Task<JsonElement> PostJsonAsync(this HttpClient client, string path, object body, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.Created)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {json}");
        return json;
    }

    public static Guid GetGuid(this JsonElement element, string name) => element.GetProperty(name).GetGuid();

    public static string? GetString(this JsonElement element, string name) => element.GetProperty(name).GetString();
}
