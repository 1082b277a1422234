using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using OpeaChat.Contracts.Opea;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>The gateway's OpenAI door, model list, protection, cache and outage handling, over real HTTP.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class GatewayTests(InferenceServerFixture fixture) : IClassFixture<InferenceServerFixture>
{
    private Uri Inference => fixture.Host.BaseAddress;

    [Fact]
    public async Task The_openai_door_answers_whole_and_streamed_and_sends_usage_only_when_asked()
    {
        using var gateway = GatewayHost.Start(Inference);

        var whole = await ChatAsync(gateway.Client, new { messages = User("Once upon a time"), max_tokens = 6, ignore_eos = true });
        Assert.Equal(200, whole.Status);
        Assert.Equal(6, whole.CompletionTokens);

        var streamed = await ChatStreamAsync(gateway.Client, new { messages = User("Once upon a time"), max_tokens = 6, ignore_eos = true, stream = true, stream_options = new { include_usage = true } });
        Assert.Equal(6, streamed.CompletionTokens);
        Assert.Equal("length", streamed.FinishReason);

        using var noUsage = await gateway.Client.PostAsJsonAsync("/v1/chat/completions", new { messages = User("Once"), max_tokens = 3, stream = true });
        var lines = await OpeaStream.ReadDataLinesAsync(noUsage);
        Assert.DoesNotContain(lines, line => line.Contains("\"usage\"", StringComparison.Ordinal));
        Assert.Equal("[DONE]", lines[^1]);
    }

    [Fact]
    public async Task The_opea_stream_is_exactly_data_lines_of_bytes_literals_then_done()
    {
        using var gateway = GatewayHost.Start(Inference);
        var request = new { messages = "Once upon a time", max_tokens = 12, seed = 7, temperature = 0, ignore_eos = true };

        using var streamed = await gateway.Client.PostAsJsonAsync("/v1/chatqna", request);
        var body = await streamed.Content.ReadAsStringAsync();
        using var whole = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { request.messages, request.max_tokens, request.seed, request.temperature, request.ignore_eos, stream = false });
        var answer = JsonDocument.Parse(await whole.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        Assert.Equal("text/event-stream; charset=utf-8", streamed.Content.Headers.ContentType?.ToString());
        var events = new List<string>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(body))).EnumerateAsync())
        {
            Assert.Equal("message", item.EventType); // no named events on a successful answer
            events.Add(item.Data);
        }

        // The bytes are the events, each "data: " + one literal + a blank line, and nothing else: no event, id or retry lines.
        Assert.Equal(string.Concat(events.Select(data => $"data: {data}\n\n")), body);
        Assert.Equal("[DONE]", events[^1]);
        var pieces = events[..^1];
        Assert.NotEmpty(pieces);
        Assert.All(pieces, literal => Assert.Equal(literal, PythonBytesLiteral.Format(PythonBytesLiteral.Decode(literal))));
        Assert.Equal(answer, PythonBytesLiteral.DecodeText(pieces));
    }

    [Fact]
    public async Task Models_pass_through_with_their_metadata()
    {
        using var gateway = GatewayHost.Start(Inference);

        using var response = await gateway.Client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var model = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("stories260K", model.GetProperty("id").GetString());
        Assert.Equal("llama", model.GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task With_api_keys_every_v1_call_needs_one_but_health_probes_do_not()
    {
        using var gateway = GatewayHost.Start(Inference, ("ApiKeys:0", "first-key"), ("ApiKeys:1", "second-key"));
        var client = gateway.Client;

        using var none = await client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once", stream = false, max_tokens = 2 });
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("API key is required", JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(new { messages = User("Once"), max_tokens = 2 }) };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "nope");
        using var wrongResponse = await client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal("invalid_api_key", JsonDocument.Parse(await wrongResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());

        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(new { messages = User("Once"), max_tokens = 2 }) };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "second-key");
        using var bearerResponse = await client.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, bearerResponse.StatusCode);

        using var meta = await client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once", stream = false, max_tokens = 2, meta = new { auth_token = "first-key" } });
        Assert.Equal(HttpStatusCode.OK, meta.StatusCode);

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Past_the_rate_limit_a_client_gets_429_with_retry_after_and_other_keys_are_not_affected()
    {
        using var gateway = GatewayHost.Start(Inference, ("ApiKeys:0", "busy"), ("ApiKeys:1", "calm"), ("RateLimit:BurstLimit", "3"), ("RateLimit:RequestsPerSecond", "1"));

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6 && limited is null; i++)
        {
            var response = await SendWithKeyAsync(gateway.Client, "busy");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("rate_limit_exceeded", JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        limited.Dispose();
        using var other = await SendWithKeyAsync(gateway.Client, "calm");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Each_person_behind_the_web_frontend_gets_their_own_bucket_on_an_open_gateway_from_this_machine()
    {
        using var gateway = GatewayHost.Start(Inference, ("RateLimit:BurstLimit", "2"), ("RateLimit:RequestsPerSecond", "1"));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            [await ListPromptsAsync(gateway.Client, key: null, person: "tab-a"), await ListPromptsAsync(gateway.Client, key: null, person: "tab-a"),
                await ListPromptsAsync(gateway.Client, key: null, person: "tab-a")]);
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, key: null, person: "tab-b"));

        // Without the header (or with one that is not a short token) callers share their address's bucket.
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, key: null, person: null));
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, key: null, person: "not a token"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ListPromptsAsync(gateway.Client, key: null, person: new string('x', 65)));
    }

    [Fact]
    public async Task Only_a_forwarder_key_may_name_the_person_behind_a_request()
    {
        using var gateway = GatewayHost.Start(Inference, ("ApiKeys:0", "plain"), ("ForwarderApiKeys:0", "web"),
            ("RateLimit:BurstLimit", "2"), ("RateLimit:RequestsPerSecond", "1"));

        // The web frontend's key: each person its own bucket (and the key is a valid key).
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, "web", "tab-a"));
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, "web", "tab-a"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ListPromptsAsync(gateway.Client, "web", "tab-a"));
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, "web", "tab-b"));

        // Any other key's header is ignored: a new name does not buy a new bucket.
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, "plain", "x1"));
        Assert.Equal(HttpStatusCode.OK, await ListPromptsAsync(gateway.Client, "plain", "x2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ListPromptsAsync(gateway.Client, "plain", "x3"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPromptsAsync(gateway.Client, null, "tab-c"));
    }

    private static async Task<HttpStatusCode> ListPromptsAsync(HttpClient client, string? key, string? person)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/prompts");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (person is not null)
        {
            request.Headers.TryAddWithoutValidation("OpeaChat-Client", person);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task An_oversize_body_gets_413_in_each_contracts_shape()
    {
        using var gateway = GatewayHost.Start(Inference, ("MaxRequestBodyBytes", "2048"));
        var huge = new string('x', 4096);

        using var opea = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = huge });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, opea.StatusCode);
        Assert.Contains("2048 bytes", JsonDocument.Parse(await opea.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var openAi = await gateway.Client.PostAsJsonAsync("/v1/chat/completions", new { messages = User(huge) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, openAi.StatusCode);
        Assert.Equal("request_too_large", JsonDocument.Parse(await openAi.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_identical_request_with_a_seed_is_answered_from_the_cache()
    {
        using var gateway = GatewayHost.Start(Inference);
        var seeded = new { messages = User("Once upon a time"), max_tokens = 8, seed = 77 };

        var first = await ChatAsync(gateway.Client, seeded);
        var second = await ChatAsync(gateway.Client, seeded);
        var unseeded1 = await ChatAsync(gateway.Client, new { messages = User("Once upon a time"), max_tokens = 8 });
        var unseeded2 = await ChatAsync(gateway.Client, new { messages = User("Once upon a time"), max_tokens = 8 });

        Assert.Equal(first.Body.GetProperty("id").GetString(), second.Body.GetProperty("id").GetString());
        Assert.Equal(first.Text, second.Text);
        Assert.NotEqual(unseeded1.Body.GetProperty("id").GetString(), unseeded2.Body.GetProperty("id").GetString());
    }

    [Fact]
    public async Task When_inference_is_unreachable_chat_gets_503_with_retry_after_and_health_says_why()
    {
        using var gateway = GatewayHost.Start(GatewayHost.Nowhere());

        using var chat = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.True(chat.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("unreachable", JsonDocument.Parse(await chat.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var health = await gateway.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("unreachable", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_both_doors()
    {
        using var gateway = GatewayHost.Start(Inference);

        var document = await gateway.Client.GetStringAsync("/openapi/v1.json");

        Assert.Contains("\"/v1/chatqna\"", document, StringComparison.Ordinal);
        Assert.Contains("\"/v1/chat/completions\"", document, StringComparison.Ordinal);
        using var scalar = await gateway.Client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
    }

    private static Task<HttpResponseMessage> SendWithKeyAsync(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(new { messages = User("Once"), max_tokens = 1 }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client.SendAsync(request);
    }
}
