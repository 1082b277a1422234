using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Contracts.Opea;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>The OPEA contract of /v1/chatqna, through the running AppHost on the real test model.</summary>
[Collection(AppCollection.Name)]
public sealed class ChatQnAApiTests(AppFixture app)
{
    private readonly HttpClient _client = app.CreateHttpClient("chatqna");

    [Fact]
    public async Task NonStreaming_answers_with_an_opea_completion_of_generated_text_and_real_usage()
    {
        using var response = await _client.PostAsJsonAsync("/v1/chatqna", new
        {
            messages = "Once upon a time",
            stream = false,
            max_tokens = 24,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.True(root.GetProperty("created").GetInt64() > 1_700_000_000);
        Assert.Equal("stories260K", root.GetProperty("model").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        var content = choice.GetProperty("message").GetProperty("content").GetString();
        Assert.False(string.IsNullOrWhiteSpace(content));
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });

        var usage = root.GetProperty("usage");
        var prompt = usage.GetProperty("prompt_tokens").GetInt32();
        var completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.True(prompt > 4, $"prompt_tokens {prompt}");
        Assert.InRange(completion, 1, 24);
        Assert.Equal(prompt + completion, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_is_the_default_and_sends_python_bytes_literals_then_done()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new
            {
                messages = new[] { new { role = "user", content = "Once upon a time" } },
                max_tokens = 24,
                seed = 7,
                context = "ignored OPEA field",
                meta = new { anything = true },
            }),
        };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var lines = await OpeaStream.ReadDataLinesAsync(response);
        Assert.True(lines.Count >= 2, $"only {lines.Count} events");
        Assert.Equal("[DONE]", lines[^1]);
        var pieces = lines.Take(lines.Count - 1).ToArray();
        Assert.All(pieces, piece => Assert.Matches(OpeaStream.BytesLiteral(), piece));
        Assert.False(string.IsNullOrWhiteSpace(PythonBytesLiteral.DecodeText(pieces)));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_text_streamed_and_not()
    {
        var body = new { messages = "Once upon a time", max_tokens = 20, seed = 1234, temperature = 0.9 };
        using var whole = await _client.PostAsJsonAsync("/v1/chatqna", new { body.messages, body.max_tokens, body.seed, body.temperature, stream = false });
        using var json = JsonDocument.Parse(await whole.Content.ReadAsStringAsync());
        var text = json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        using var streamed = await _client.PostAsJsonAsync("/v1/chatqna", new { body.messages, body.max_tokens, body.seed, body.temperature, stream = true });
        var lines = await OpeaStream.ReadDataLinesAsync(streamed);

        Assert.Equal(text, PythonBytesLiteral.DecodeText(lines.Take(lines.Count - 1)));
    }

    [Theory]
    [InlineData("""{"stream":false}""", "messages")]
    [InlineData("""{"messages":[],"stream":false}""", "messages")]
    [InlineData("""{"messages":[{"role":"wizard","content":"hi"}],"stream":false}""", "messages.0.role")]
    [InlineData("""{"messages":"hi","max_tokens":"many"}""", "max_tokens")]
    [InlineData("""{"messages":"hi","max_tokens":0}""", "max_tokens")]
    [InlineData("""{"messages":"hi","temperature":9}""", "temperature")]
    public async Task Invalid_requests_get_422_naming_the_field(string body, string field)
    {
        using var response = await _client.PostAsync("/v1/chatqna", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var issue = json.RootElement.GetProperty("detail")[0];
        var loc = string.Join('.', issue.GetProperty("loc").EnumerateArray().Skip(1).Select(part => part.GetString()));
        Assert.Equal(field, loc);
        Assert.False(string.IsNullOrWhiteSpace(issue.GetProperty("msg").GetString()));
    }

    [Fact]
    public async Task Malformed_json_gets_422()
    {
        using var response = await _client.PostAsync("/v1/chatqna", new StringContent("{\"messages\": ", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("not valid JSON", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_is_ok_and_health_check_describes_the_service()
    {
        using var health = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"ok\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var description = await _client.GetAsync("/v1/health_check");
        Assert.Equal(HttpStatusCode.OK, description.StatusCode);
        using var json = JsonDocument.Parse(await description.Content.ReadAsStringAsync());
        Assert.Equal("ChatQnAService", json.RootElement.GetProperty("Service Title").GetString());
    }
}
