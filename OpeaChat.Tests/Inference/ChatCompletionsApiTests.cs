using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>The OpenAI door of the inference service, on the real test model in the running app.</summary>
[Collection(AppCollection.Name)]
public sealed class ChatCompletionsApiTests(AppFixture app)
{
    private readonly HttpClient _client = app.CreateHttpClient("inference");

    private static object UserMessages(string text) => new[] { new { role = "user", content = text } };

    [Fact]
    public async Task Non_streaming_reply_has_text_finish_reason_and_usage()
    {
        using var response = await _client.PostAsJsonAsync("/v1/chat/completions", new { messages = UserMessages("Once upon a time"), max_tokens = 12, seed = 5 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choice = json.RootElement.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("message").GetProperty("content").GetString()));
        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal(12, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 12, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_sends_role_then_content_then_finish_then_usage_then_done()
    {
        using var response = await _client.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = UserMessages("Once upon a time"),
            max_tokens = 6,
            stream = true,
            stream_options = new { include_usage = true },
        });

        var lines = await OpeaStream.ReadDataLinesAsync(response);
        Assert.Equal("[DONE]", lines[^1]);
        var chunks = lines.Take(lines.Count - 1).Select(line => JsonDocument.Parse(line).RootElement).ToArray();
        Assert.All(chunks, chunk => Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var finish = chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString();
        Assert.Equal("length", finish);
        Assert.Equal(6, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        var text = string.Concat(chunks.Skip(1).SkipLast(2).Select(chunk => chunk.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.False(string.IsNullOrEmpty(text));
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_reply_and_is_not_included()
    {
        // Generate freely once, then ask again with the same seed and a stop taken from the middle of that text.
        var body = new { messages = UserMessages("Once upon a time"), max_tokens = 40, seed = 11 };
        var free = await CompleteAsync(body);
        var stop = free.Content.Substring(free.Content.Length / 2, 3);
        var stopped = await CompleteAsync(new { body.messages, body.max_tokens, body.seed, stop = new[] { stop } });

        Assert.Equal("stop", stopped.FinishReason);
        Assert.DoesNotContain(stop, stopped.Content, StringComparison.Ordinal);
        Assert.StartsWith(stopped.Content, free.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"messages\": [", 400, null, "invalid_json")]
    [InlineData("""{"model":"stories260K"}""", 400, "messages", "missing_required_parameter")]
    [InlineData("""{"messages":[]}""", 400, "messages", "empty_array")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":50000000}""", 400, "max_tokens", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", 400, "temperature", "invalid_type")]
    [InlineData("""{"messages":"hi"}""", 400, "messages", "invalid_type")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", 400, "max_tokens", "invalid_type")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":-5}""", 400, "max_tokens", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":3}""", 400, "n", "unsupported_value")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"model":"no-such-model"}""", 404, "model", "model_not_found")]
    public async Task Bad_requests_get_openai_errors_and_leave_no_slot_busy(string body, int status, string? param, string code)
    {
        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));

        var next = await CompleteAsync(new { messages = UserMessages("Once"), max_tokens = 2 });
        Assert.Equal("length", next.FinishReason);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_says_how_long_and_the_limit()
    {
        var longText = string.Join(' ', Enumerable.Repeat("Once upon a time there was a big dog.", 400));
        using var response = await _client.PostAsJsonAsync("/v1/chat/completions", new { messages = UserMessages(longText) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Matches("The prompt has [0-9]+ tokens, but one request may use at most [0-9]+ tokens", error.GetProperty("message").GetString());
    }

    private async Task<(string Content, string FinishReason)> CompleteAsync(object body)
    {
        using var response = await _client.PostAsJsonAsync("/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choice = json.RootElement.GetProperty("choices")[0];
        return (choice.GetProperty("message").GetProperty("content").GetString()!, choice.GetProperty("finish_reason").GetString()!);
    }
}
