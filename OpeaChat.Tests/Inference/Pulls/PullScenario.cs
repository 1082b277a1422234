using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference.Pulls;

/// <summary>A fake hub, and an inference server with an empty models folder of its own that pulls from it.</summary>
public sealed class PullScenario : IAsyncDisposable
{
    private PullScenario(FakeHuggingFaceHub hub, InferenceHost host, DirectoryInfo models)
    {
        Hub = hub;
        Host = host;
        Models = models;
    }

    public FakeHuggingFaceHub Hub { get; }

    public InferenceHost Host { get; }

    public DirectoryInfo Models { get; }

    public HttpClient Client => Host.Client;

    /// <param name="prepare">Sets the hub up (files, knobs) and the models folder before the server starts.</param>
    public static async Task<PullScenario> StartAsync(Action<FakeHuggingFaceHub, DirectoryInfo>? prepare = null, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var hub = await FakeHuggingFaceHub.StartAsync();
        var models = Directory.CreateTempSubdirectory("opeachat-pull-");
        prepare?.Invoke(hub, models);
        var all = new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = hub.Endpoint,
            ["HF_TOKEN"] = "",
            ["Inference:ModelPath"] = "",
            ["Inference:ModelsDirectory"] = models.FullName,
            ["Inference:Download:RetryDelay"] = "00:00:00.020",
            ["Inference:Download:MaxRetryDelay"] = "00:00:00.100",
            ["Inference:Download:FreeSpaceMarginBytes"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new PullScenario(hub, InferenceHost.StartWith(all, services), models);
    }

    /// <summary>The files now in the models folder, by name.</summary>
    public string[] Files() => [.. Models.EnumerateFiles().Select(file => file.Name).Order(StringComparer.Ordinal)];

    /// <summary>POST /v1/models/pull with stream:false: the status code and the body.</summary>
    public async Task<(int Status, JsonElement Body)> PullAsync(string model)
    {
        using var response = await Client.PostAsJsonAsync("/v1/models/pull", new { model, stream = false });
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>POST /v1/models/pull streaming (SSE unless NDJSON is asked for), answered once the headers are in.</summary>
    public async Task<HttpResponseMessage> StartStreamAsync(string model, bool ndjson = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/pull") { Content = JsonContent.Create(new { model }) };
        if (ndjson)
        {
            request.Headers.Accept.ParseAdd("application/x-ndjson");
        }

        return await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>Every event of an SSE pull stream (the <c>data:</c> lines), to its end.</summary>
    public static async Task<JsonElement[]> ReadEventsAsync(HttpResponseMessage response)
    {
        var lines = await OpeaStream.ReadDataLinesAsync(response);
        return [.. lines.Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>Every line of an NDJSON pull stream, to its end.</summary>
    public static async Task<JsonElement[]> ReadNdjsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    public async Task<JsonElement> GetJsonAsync(string path) =>
        JsonDocument.Parse(await Client.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement.Clone();

    public async Task<string[]> ModelIdsAsync() =>
        [.. (await GetJsonAsync("/v1/models")).GetProperty("data").EnumerateArray().Select(model => model.GetProperty("id").GetString()!)];

    /// <summary>Waits (bounded) until /health says ok: 200 alone may be "degraded" while a pull runs.</summary>
    public async Task WaitUntilHealthyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (response.IsSuccessStatusCode && JsonDocument.Parse(body).RootElement.GetProperty("status").GetString() == "ok")
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        await Hub.DisposeAsync();
        Models.Delete(recursive: true);
    }
}
