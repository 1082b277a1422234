using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference;

/// <summary>Continuous batching, the bounded queue and cancellation, on the real test model.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Sixteen_concurrent_streams_all_finish_each_with_its_own_usage()
    {
        using var host = InferenceHost.Start(("MaxParallelSequences", "4"), ("MaxQueueLength", "64"));
        await host.WaitUntilReadyAsync();

        // ignore_eos makes every request run to its own max_tokens, so each count is known in advance.
        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => ChatStreamAsync(host.Client, new
        {
            messages = User($"Once upon a time there was a {(i % 2 == 0 ? "cat" : "dog")} number {i}"),
            max_tokens = 8 + i,
            seed = i,
            ignore_eos = true,
            stream = true,
            stream_options = new { include_usage = true },
        })));

        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal("length", replies[i].FinishReason);
            Assert.Equal(8 + i, replies[i].CompletionTokens);
            Assert.True(replies[i].PromptTokens > 10, $"request {i}: {replies[i].PromptTokens} prompt tokens");
            Assert.False(string.IsNullOrEmpty(replies[i].Text));
        }

        var model = await GetModelAsync(host.Client, "stories260K");
        Assert.Equal(0, model.GetProperty("active_sequences").GetInt32());
        Assert.Equal(0, model.GetProperty("queued_requests").GetInt32());
    }

    [Fact]
    public async Task The_same_request_with_the_same_seed_alone_gives_the_same_text()
    {
        using var host = InferenceHost.Start(("PrefixCacheSlots", "0"));
        await host.WaitUntilReadyAsync();
        var body = new { messages = User("Once upon a time"), max_tokens = 40, seed = 99, temperature = 1.0 };

        var first = await ChatAsync(host.Client, body);
        var second = await ChatAsync(host.Client, body);
        var other = await ChatAsync(host.Client, new { body.messages, body.max_tokens, seed = 100, body.temperature });

        Assert.Equal(first.Text, second.Text);
        Assert.NotEqual(first.Text, other.Text);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        using var host = InferenceHost.Start(("MaxParallelSequences", "1"), ("MaxQueueLength", "1"), ("ContextSize", "32768"));
        await host.WaitUntilReadyAsync();
        var longBody = new { messages = User("Once upon a time"), max_tokens = 30000, ignore_eos = true, stream = true };

        // Streaming answers send their headers as soon as the request is queued.
        using var running = await SendStreamingAsync(host.Client, longBody);
        using var waiting = await SendStreamingAsync(host.Client, longBody);
        using var rejected = await host.Client.PostAsJsonAsync("/v1/chat/completions", longBody);

        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.True(rejected.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        using var json = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync());
        Assert.Equal("queue_full", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("rate_limit_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_cancelled_request_frees_its_slot_at_once()
    {
        using var host = InferenceHost.Start(("MaxParallelSequences", "1"), ("ContextSize", "32768"));
        await host.WaitUntilReadyAsync();

        // 30000 tokens would take this machine tens of seconds; the slot must come back long before that.
        var running = await SendStreamingAsync(host.Client, new { messages = User("Once upon a time"), max_tokens = 30000, ignore_eos = true, stream = true });
        var reader = new StreamReader(await running.Content.ReadAsStreamAsync());
        for (var events = 0; events < 5;)
        {
            var line = await reader.ReadLineAsync();
            events += line?.StartsWith("data: ", StringComparison.Ordinal) == true ? 1 : 0;
        }

        Assert.Equal(1, (await GetModelAsync(host.Client, "stories260K")).GetProperty("active_sequences").GetInt32());
        reader.Dispose();
        running.Dispose();

        await WaitForModelAsync(host.Client, "stories260K", model => model.GetProperty("active_sequences").GetInt32() == 0, TimeSpan.FromSeconds(5));
        var next = await ChatAsync(host.Client, new { messages = User("Once"), max_tokens = 3, ignore_eos = true });
        Assert.Equal(3, next.CompletionTokens);
    }

    private static async Task<HttpResponseMessage> SendStreamingAsync(HttpClient client, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }
}
