using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.Tests.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Durability;

/// <summary>
/// Replies the gateway owns: with <c>continue_on_disconnect</c> a stored reply goes on when its client leaves, another
/// client follows it from the text so far, and only Stop ends it. Real inference and gateway over HTTP.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class RunningReplyTests : IDisposable
{
    private readonly InferenceHost _inference = InferenceHost.Start(("ContextSize", "32768"), ("MaxParallelSequences", "1"));
    private readonly TempDirectory _data = new();

    [Fact]
    public async Task A_reply_that_continues_on_disconnect_outlives_its_client_is_followed_from_its_text_and_ends_only_by_stop()
    {
        await _inference.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(_inference.BaseAddress, _data.Path, ("ChatQnA:ReplySaveInterval", "00:00:00.100"));
        var id = await CreateConversationAsync(gateway.Client);

        Guid replyId;
        var seen = new StringBuilder();
        using (var request = StreamRequest(id, continueOnDisconnect: true))
        using (var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            replyId = Guid.Parse(response.Headers.GetValues("OpeaChat-Reply-Id").Single());
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (seen.Length < 20)
            {
                seen.Append(OpenAiCalls.DeltaText(await reader.ReadLineAsync() ?? throw new InvalidOperationException("The reply ended early.")));
            }
        }

        // The client has gone; the reply has not: its stored text keeps growing past what the client saw.
        var stored = await WaitForStoredAsync(gateway.Client, id, message => message.GetProperty("content").GetString()!.Length > seen.Length + 50);
        Assert.Equal("streaming", stored.GetProperty("status").GetString());

        // A second client (a reloaded page) gets the text so far as its first chunk, then new text after it.
        var followed = new StringBuilder();
        using (var follow = await gateway.Client.GetAsync($"/v1/conversations/{id}/messages/{replyId}/stream", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, follow.StatusCode);
            using var reader = new StreamReader(await follow.Content.ReadAsStreamAsync());
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null && !line.StartsWith("data: {", StringComparison.Ordinal))
            {
            }

            var first = OpenAiCalls.DeltaText(line!);
            Assert.StartsWith(seen.ToString(), first, StringComparison.Ordinal);
            followed.Append(first);
            var firstLength = followed.Length;
            while (followed.Length < firstLength + 20)
            {
                followed.Append(OpenAiCalls.DeltaText(await reader.ReadLineAsync() ?? throw new InvalidOperationException("The followed reply ended early.")));
            }

            // Stop answers once the reply is saved as stopped; the follower's stream then ends with [DONE].
            using var stop = await gateway.Client.PostAsync($"/v1/conversations/{id}/messages/{replyId}/stop", content: null);
            Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
            var rest = new List<string>();
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                rest.Add(line);
                followed.Append(OpenAiCalls.DeltaText(line));
            }

            Assert.Equal("data: [DONE]", rest.Last(line => line.Length > 0));
        }

        var messages = await MessagesAsync(gateway.Client, id);
        Assert.Equal(["user", "assistant"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("stopped", messages[1].GetProperty("status").GetString());
        Assert.Equal(followed.ToString(), messages[1].GetProperty("content").GetString());

        // Once stopped it is no longer running: following or stopping it again is a conflict, and it stays as saved.
        using var again = await gateway.Client.PostAsync($"/v1/conversations/{id}/messages/{replyId}/stop", content: null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var followAgain = await gateway.Client.GetAsync($"/v1/conversations/{id}/messages/{replyId}/stream");
        Assert.Equal(HttpStatusCode.Conflict, followAgain.StatusCode);
        Assert.Contains("not a reply being generated now", (await followAgain.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_continue_on_disconnect_a_client_that_leaves_stops_its_reply()
    {
        await _inference.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(_inference.BaseAddress, _data.Path);
        var id = await CreateConversationAsync(gateway.Client);
        using (var request = StreamRequest(id, continueOnDisconnect: false))
        using (var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var lines = 0; lines < 10; lines++)
            {
                await reader.ReadLineAsync();
            }
        }

        var stored = await WaitForStoredAsync(gateway.Client, id, message => message.GetProperty("status").GetString() != "streaming");
        Assert.Equal("stopped", stored.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Following_or_stopping_what_is_not_running_is_refused_and_continue_on_disconnect_needs_a_stored_stream()
    {
        await _inference.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(_inference.BaseAddress, _data.Path);
        var id = await CreateConversationAsync(gateway.Client);

        using var unknownConversation = await gateway.Client.PostAsync($"/v1/conversations/{Guid.NewGuid()}/messages/{Guid.NewGuid()}/stop", content: null);
        Assert.Equal(HttpStatusCode.NotFound, unknownConversation.StatusCode);
        using var unknownMessage = await gateway.Client.GetAsync($"/v1/conversations/{id}/messages/{Guid.NewGuid()}/stream");
        Assert.Equal(HttpStatusCode.Conflict, unknownMessage.StatusCode);

        using var withoutConversation = await gateway.Client.PostAsJsonAsync("/v1/chat/completions",
            new { messages = OpenAiCalls.User("Once upon a time"), stream = true, continue_on_disconnect = true });
        Assert.Equal(HttpStatusCode.BadRequest, withoutConversation.StatusCode);
        Assert.Equal("continue_on_disconnect", (await withoutConversation.ReadJsonAsync()).GetProperty("error").GetProperty("param").GetString());

        using var notStreamed = await gateway.Client.PostAsJsonAsync("/v1/chat/completions",
            new { conversation_id = id, messages = OpenAiCalls.User("Once upon a time"), stream = false, continue_on_disconnect = true });
        Assert.Equal(HttpStatusCode.BadRequest, notStreamed.StatusCode);
        Assert.Contains("stream", (await notStreamed.ReadJsonAsync()).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        // Refused before anything was written.
        Assert.Empty(await MessagesAsync(gateway.Client, id));
    }

    private static HttpRequestMessage StreamRequest(string conversationId, bool continueOnDisconnect) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Content = JsonContent.Create(new
        {
            conversation_id = conversationId, messages = OpenAiCalls.User("Once upon a time"), max_tokens = 30000, ignore_eos = true, stream = true,
            continue_on_disconnect = continueOnDisconnect,
        }),
    };

    private static async Task<string> CreateConversationAsync(HttpClient client)
    {
        using var created = await client.PostAsJsonAsync("/v1/conversations", new { });
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement[]> MessagesAsync(HttpClient client, string id)
    {
        using var messages = JsonDocument.Parse(await client.GetStringAsync($"/v1/conversations/{id}/messages"));
        return messages.RootElement.GetProperty("data").EnumerateArray().Select(message => message.Clone()).ToArray();
    }

    /// <summary>The stored reply once <paramref name="condition"/> holds (within 60 s).</summary>
    private static async Task<JsonElement> WaitForStoredAsync(HttpClient client, string id, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var messages = await MessagesAsync(client, id);
            if (messages.Length == 2 && condition(messages[1]))
            {
                return messages[1];
            }

            Assert.True(DateTime.UtcNow < deadline, $"The stored reply did not get there: {string.Join(", ", messages.Select(message => message.ToString()))}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _inference.Dispose();
        _data.Dispose();
    }
}
