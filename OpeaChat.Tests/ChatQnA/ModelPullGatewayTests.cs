using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>
/// A loopback Hugging Face hub, a real inference server with an empty models folder pulling from it, and the gateway in
/// front with an API key: shared by the tests of this class, each pulling a repository of its own.
/// </summary>
public sealed class ModelPullGatewayFixture : IAsyncLifetime
{
    public const string GatewayKey = "sk-pull-gateway-test";

    public FakeHuggingFaceHub Hub { get; private set; } = null!;

    public InferenceHost Inference { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public DirectoryInfo Models { get; } = Directory.CreateTempSubdirectory("opeachat-gateway-pull-");

    /// <summary>The gateway's client, with its key.</summary>
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await FakeHuggingFaceHub.StartAsync();
        foreach (var repo in new[] { "test-org/Sse-GGUF", "test-org/Ndjson-GGUF", "test-org/Paused-GGUF", "test-org/Delete-GGUF" })
        {
            Hub.AddTestModel(repo, repo["test-org/".Length..].Replace("-GGUF", string.Empty, StringComparison.Ordinal) + "-Q4_K_M.gguf");
        }

        Inference = InferenceHost.Start(
            ("ModelPath", ""),
            ("ModelsDirectory", Models.FullName),
            ("Download:Endpoint", Hub.Endpoint),
            ("Download:FreeSpaceMarginBytes", "0"),
            ("RecommendedModels:0:Model", "hf.co/test-org/Sse-GGUF:Q4_K_M"),
            ("RecommendedModels:0:Name", "Gateway test model"),
            ("RecommendedModels:0:Description", "The test model, served by the loopback hub."),
            ("RecommendedModels:0:Purpose", "chat"),
            ("RecommendedModels:0:SizeBytes", "1185376"),
            ("RecommendedModels:0:MemoryBytes", "4000000"),
            ("RecommendedModels:0:License", "MIT"));
        Gateway = GatewayHost.Start(Inference.BaseAddress, ("ApiKeys:0", GatewayKey));
        Client = Gateway.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayKey);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        Gateway.Dispose();
        Inference.Dispose();
        await Hub.DisposeAsync();
        Models.Delete(recursive: true);
    }
}

/// <summary>
/// The gateway's pass-through of inference's model management: pull progress streamed through as it comes (SSE by
/// default, NDJSON when asked), the pulls list, cancel, delete (409 for the model in use unless forced), the recommended
/// list; behind the gateway's API keys, with inference's errors in OpenAI's shape.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ModelPullGatewayTests(ModelPullGatewayFixture fixture) : IClassFixture<ModelPullGatewayFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_pull_streams_its_progress_as_sse_and_the_pulled_model_then_answers_through_the_gateway()
    {
        using var response = await PostPullAsync("hf.co/test-org/Sse-GGUF:Q4_K_M", accept: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<JsonElement>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            events.Add(JsonDocument.Parse(item.Data).RootElement.Clone());
        }

        Assert.Contains(events, e => Stage(e) == "downloading");
        var final = events[^1];
        Assert.Equal("ready", Stage(final));
        Assert.Equal("Sse-Q4_K_M", final.GetProperty("id").GetString());
        Assert.Equal(new FileInfo(TestModel.Path).Length, final.GetProperty("bytes_done").GetInt64());

        // No restart: the gateway's model list has it, and a chat through the gateway is answered by it.
        var models = await GetJsonAsync("/v1/models");
        Assert.Contains(models.GetProperty("data").EnumerateArray(), model => model.GetProperty("id").GetString() == "Sse-Q4_K_M");
        using var chat = await Client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "Sse-Q4_K_M",
            messages = new[] { new { role = "user", content = "Once upon a time" } },
            max_tokens = 8,
        });
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        using var answer = JsonDocument.Parse(await chat.Content.ReadAsStringAsync());
        Assert.Equal("Sse-Q4_K_M", answer.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Ndjson_is_passed_through_when_the_caller_asks_for_it()
    {
        using var response = await PostPullAsync("test-org/Ndjson-GGUF", accept: "application/x-ndjson");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, string.Join('\n', lines));
        var statuses = lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        Assert.All(statuses, status => Assert.Equal("Ndjson-Q4_K_M", status.GetProperty("id").GetString()));
        Assert.Equal("ready", Stage(statuses[^1]));
    }

    [Fact]
    public async Task Progress_arrives_while_the_download_is_still_running_and_the_pull_can_be_listed_and_cancelled()
    {
        fixture.Hub.PauseAfterBytes = 64 * 1024;
        using var response = await PostPullAsync("test-org/Paused-GGUF:Q4_K_M", accept: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var enumerator = SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync().GetAsyncEnumerator();

        // The hub holds the file after 64 KB: a progress event with bytes seen now came through the gateway unbuffered.
        await fixture.Hub.WaitUntilPausedAsync();
        JsonElement progress;
        do
        {
            Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)), "the stream ended before any progress");
            progress = JsonDocument.Parse(enumerator.Current.Data).RootElement.Clone();
        }
        while (!(Stage(progress) == "downloading" && progress.GetProperty("bytes_done").GetInt64() > 0));
        Assert.True(progress.GetProperty("bytes_done").GetInt64() < new FileInfo(TestModel.Path).Length);

        var pulls = await GetJsonAsync("/v1/models/pulls");
        var listed = Assert.Single(pulls.GetProperty("data").EnumerateArray(), pull => pull.GetProperty("id").GetString() == "Paused-Q4_K_M");
        Assert.Equal("downloading", Stage(listed));

        using var cancel = await Client.DeleteAsync(new Uri("/v1/models/pulls/Paused-Q4_K_M", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        using (var cancelled = JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()))
        {
            Assert.Equal("cancelled", Stage(cancelled.RootElement));
        }

        fixture.Hub.Resume();
        JsonElement last = progress;
        while (await enumerator.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)))
        {
            last = JsonDocument.Parse(enumerator.Current.Data).RootElement.Clone();
        }

        Assert.Equal("cancelled", Stage(last));
        Assert.DoesNotContain(fixture.Models.EnumerateFiles(), file => file.Name.StartsWith("Paused", StringComparison.Ordinal));

        // Cancelling what no longer runs is inference's own 404, in OpenAI's shape.
        using var again = await Client.DeleteAsync(new Uri("/v1/models/pulls/Paused-Q4_K_M", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("pull_not_found", await ErrorCodeAsync(again));
    }

    [Fact]
    public async Task A_model_in_use_is_deleted_only_when_forced_and_refusals_keep_openai_error_shape()
    {
        // stream:false answers once, at the end, however long the pull takes.
        using (var pulled = await Client.PostAsJsonAsync("/v1/models/pull", new { model = "test-org/Delete-GGUF:Q4_K_M", stream = false }))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            using var status = JsonDocument.Parse(await pulled.Content.ReadAsStringAsync());
            Assert.Equal("ready", Stage(status.RootElement));
        }

        // Loaded by a chat, so in use.
        using (var chat = await Client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "Delete-Q4_K_M",
            messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = 2,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        using (var refused = await Client.DeleteAsync(new Uri("/v1/models/Delete-Q4_K_M", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("model_in_use", await ErrorCodeAsync(refused));
        }

        Assert.Contains(fixture.Models.EnumerateFiles(), file => file.Name == "Delete-Q4_K_M.gguf");
        using (var forced = await Client.DeleteAsync(new Uri("/v1/models/Delete-Q4_K_M?force=true", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        }

        Assert.DoesNotContain(fixture.Models.EnumerateFiles(), file => file.Name == "Delete-Q4_K_M.gguf");
        var models = await GetJsonAsync("/v1/models");
        Assert.DoesNotContain(models.GetProperty("data").EnumerateArray(), model => model.GetProperty("id").GetString() == "Delete-Q4_K_M");

        using (var missing = await Client.DeleteAsync(new Uri("/v1/models/Delete-Q4_K_M", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("model_not_found", await ErrorCodeAsync(missing));
        }

        using (var unknown = await PostPullAsync("test-org/No-Such-GGUF:Q4_K_M", accept: null))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/json", unknown.Content.Headers.ContentType?.MediaType);
            Assert.Equal("not_found", await ErrorCodeAsync(unknown));
        }

        using var noModel = await Client.PostAsJsonAsync("/v1/models/pull", new { stream = false });
        Assert.Equal(HttpStatusCode.BadRequest, noModel.StatusCode);
        using var body = JsonDocument.Parse(await noModel.Content.ReadAsStringAsync());
        Assert.Equal("model", body.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task The_recommended_models_come_from_inference_behind_the_gateway_key()
    {
        var list = await GetJsonAsync("/v1/models/recommended");
        var first = list.GetProperty("data")[0];
        Assert.Equal("hf.co/test-org/Sse-GGUF:Q4_K_M", first.GetProperty("model").GetString());
        Assert.Equal("Gateway test model", first.GetProperty("name").GetString());
        Assert.Equal(4000000, first.GetProperty("memory_bytes").GetInt64());
        Assert.Equal("MIT", first.GetProperty("license").GetString());

        var filesBefore = fixture.Models.EnumerateFiles().Select(file => file.Name).Order(StringComparer.Ordinal).ToList();
        using var anonymous = fixture.Gateway.CreateClient();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/models/recommended"), (HttpMethod.Get, "/v1/models/pulls"), (HttpMethod.Delete, "/v1/models/Sse-Q4_K_M"), (HttpMethod.Post, "/v1/models/pull") })
        {
            using var request = new HttpRequestMessage(method, path);
            if (method == HttpMethod.Post)
            {
                request.Content = JsonContent.Create(new { model = "test-org/Sse-GGUF" });
            }

            using var refused = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("invalid_api_key", await ErrorCodeAsync(refused));
        }

        // The delete and the pull without a key changed nothing.
        Assert.Equal(filesBefore, fixture.Models.EnumerateFiles().Select(file => file.Name).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task With_inference_unreachable_the_gateway_answers_503_in_openai_shape()
    {
        using var gateway = GatewayHost.Start(GatewayHost.Nowhere(), ("Logging:LogLevel:Default", "Warning"));
        using var client = gateway.CreateClient();
        using var pull = await client.PostAsJsonAsync("/v1/models/pull", new { model = "test-org/Sse-GGUF" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, pull.StatusCode);
        Assert.Equal("inference_unreachable", await ErrorCodeAsync(pull));
        using var pulls = await client.GetAsync(new Uri("/v1/models/pulls", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, pulls.StatusCode);
        Assert.Equal("inference_unreachable", await ErrorCodeAsync(pulls));
    }

    private async Task<HttpResponseMessage> PostPullAsync(string model, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/pull") { Content = JsonContent.Create(new { model }) };
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    private static string Stage(JsonElement status) => status.GetProperty("stage").GetString()!;

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetProperty("code").GetString();
    }
}
