using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>Conversations remembered by the gateway: real inference, real SQLite, real HTTP.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ChatMemoryTests(InferenceServerFixture inference) : IClassFixture<InferenceServerFixture>, IDisposable
{
    private readonly GatewayHost _gateway = GatewayHost.Start(inference.Host.BaseAddress);

    private HttpClient Client => _gateway.Client;

    [Fact]
    public async Task Two_turns_with_a_conversation_id_send_the_first_turn_with_the_second_and_store_all_four_messages()
    {
        var id = await CreateConversationAsync(new { system_prompt = "You tell short stories." });

        using var first = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, messages = "Once upon a time there was a fox", stream = false, max_tokens = 12 });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(id, first.Headers.GetValues("OpeaChat-Conversation-Id").Single());
        var firstUsage = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("usage");

        using var second = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, messages = "What did the fox do next?", stream = false, max_tokens = 12 });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var secondUsage = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("usage");

        // The second prompt holds the system prompt, the first question and its reply, then the new question.
        Assert.True(secondUsage.GetProperty("prompt_tokens").GetInt32() > firstUsage.GetProperty("prompt_tokens").GetInt32() + firstUsage.GetProperty("completion_tokens").GetInt32(),
            $"first {firstUsage}, second {secondUsage}");

        var messages = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant", "user", "assistant"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("Once upon a time there was a fox", messages[0].GetProperty("content").GetString());
        Assert.Equal("What did the fox do next?", messages[2].GetProperty("content").GetString());
        Assert.All(messages.Where(message => message.GetProperty("role").GetString() == "assistant"),
            reply => Assert.Equal("complete", reply.GetProperty("status").GetString()));
        Assert.Equal(12, messages[3].GetProperty("completion_tokens").GetInt32());

        using var markdown = await Client.GetAsync($"/v1/conversations/{id}/export?format=markdown");
        var text = await markdown.Content.ReadAsStringAsync();
        Assert.Contains("What did the fox do next?", text, StringComparison.Ordinal);
        Assert.Contains(messages[3].GetProperty("content").GetString()!.Trim(), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openai_door_streams_with_memory_and_stores_tokens_per_second()
    {
        var id = await CreateConversationAsync(new { });

        var reply = await ChatStreamAsync(Client, new
        {
            conversation_id = id,
            messages = User("Once upon a time"),
            max_tokens = 10,
            ignore_eos = true,
            stream = true,
            stream_options = new { include_usage = true },
        });

        var stored = (await GetMessagesAsync(id))[^1];
        Assert.Equal("complete", stored.GetProperty("status").GetString());
        Assert.Equal(reply.Text, stored.GetProperty("content").GetString());
        Assert.Equal(10, stored.GetProperty("completion_tokens").GetInt32());
        Assert.True(stored.GetProperty("tokens_per_second").GetDouble() > 0);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/chatqna")]
    public async Task The_reply_is_stored_before_the_stream_says_done(string door)
    {
        var id = await CreateConversationAsync(new { });
        object body = door == "/v1/chatqna"
            ? new { conversation_id = id, messages = "Once upon a time", max_tokens = 8, stream = true }
            : new { conversation_id = id, messages = User("Once upon a time"), max_tokens = 8, stream = true };

        var lines = await OpeaStream.PostAndReadUntilDoneAsync(Client, door, body);
        Assert.Equal("[DONE]", lines[^1]);

        // Read at once, with the rest of the response unread: a client that stops at [DONE] finds the reply stored.
        var messages = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("complete", messages[1].GetProperty("status").GetString());
        Assert.Equal(8, messages[1].GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_reply_the_client_stops_is_stored_as_stopped_with_the_text_so_far()
    {
        using var longInference = InferenceHost.Start(("ContextSize", "32768"), ("MaxParallelSequences", "1"));
        await longInference.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(longInference.BaseAddress);
        var id = await CreateConversationAsync(new { }, gateway.Client);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna") { Content = JsonContent.Create(new { conversation_id = id, messages = "Once upon a time", max_tokens = 30000, ignore_eos = true }) })
        using (var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            for (var pieces = 0; pieces < 5;)
            {
                var line = await reader.ReadLineAsync() ?? throw new InvalidOperationException("The reply ended early.");
                pieces += line.StartsWith("data: b", StringComparison.Ordinal) ? 1 : 0;
            }
        }

        var stopped = await WaitForReplyAsync(id, gateway.Client);
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(stopped.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task A_reply_broken_by_inference_is_stored_as_failed_with_the_text_so_far()
    {
        var dying = InferenceHost.Start(("ContextSize", "32768"), ("MaxParallelSequences", "1"));
        await dying.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(dying.BaseAddress);
        var id = await CreateConversationAsync(new { }, gateway.Client);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna") { Content = JsonContent.Create(new { conversation_id = id, messages = "Once upon a time", max_tokens = 30000, ignore_eos = true }) };
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        for (var pieces = 0; pieces < 5;)
        {
            var line = await reader.ReadLineAsync() ?? throw new InvalidOperationException("The reply ended early.");
            pieces += line.StartsWith("data: b", StringComparison.Ordinal) ? 1 : 0;
        }

        dying.Dispose();
        Assert.Contains("event: error", await reader.ReadToEndAsync(), StringComparison.Ordinal);

        var failed = await WaitForReplyAsync(id, gateway.Client);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Regenerating_a_reply_keeps_the_old_one_as_a_sibling()
    {
        var id = await CreateConversationAsync(new { });
        using var first = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, messages = "Once upon a time", stream = false, max_tokens = 8, seed = 1, temperature = 1.0 });
        var replyId = (await GetMessagesAsync(id))[^1].GetProperty("id").GetString();

        using var regenerated = await Client.PostAsJsonAsync($"/v1/conversations/{id}/messages/{replyId}/regenerate", new { stream = false, max_tokens = 8, seed = 2, temperature = 1.0 });

        Assert.Equal(HttpStatusCode.OK, regenerated.StatusCode);
        var messages = await GetMessagesAsync(id);
        Assert.Equal(2, messages.Count);
        Assert.NotEqual(replyId, messages[1].GetProperty("id").GetString());
        Assert.Equal(2, messages[1].GetProperty("sibling_count").GetInt32());
        Assert.Contains(replyId, messages[1].GetProperty("sibling_ids").EnumerateArray().Select(sibling => sibling.GetString()));
    }

    [Fact]
    public async Task Editing_a_user_message_makes_a_new_branch_that_regenerate_answers()
    {
        var id = await CreateConversationAsync(new { });
        using var first = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, messages = "Once upon a time", stream = false, max_tokens = 6 });
        var original = (await GetMessagesAsync(id))[0].GetProperty("id").GetString();

        using var edit = await Client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{original}", new { content = "Once upon a time, a dragon" });
        Assert.True(edit.IsSuccessStatusCode, await edit.Content.ReadAsStringAsync());
        var edited = JsonDocument.Parse(await edit.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        var streamed = await ReadOpenAiStreamAsync(await Client.PostAsync($"/v1/conversations/{id}/messages/{edited}/regenerate", null));

        var messages = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("Once upon a time, a dragon", messages[0].GetProperty("content").GetString());
        Assert.Equal(2, messages[0].GetProperty("sibling_count").GetInt32());
        Assert.Equal(streamed, messages[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_prompt_template_is_filled_with_the_question_and_variables_and_missing_ones_are_named()
    {
        using var filled = await Client.PostAsJsonAsync("/v1/chatqna", new
        {
            messages = "Who is the fox?",
            prompt_id = "opea-chatqna",
            variables = new Dictionary<string, string> { ["context"] = "The fox lives in the forest." },
            stream = false,
            max_tokens = 4,
        });
        Assert.Equal(HttpStatusCode.OK, filled.StatusCode);
        var promptTokens = JsonDocument.Parse(await filled.Content.ReadAsStringAsync()).RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();

        using var plain = await Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Who is the fox?", stream = false, max_tokens = 4 });
        var plainTokens = JsonDocument.Parse(await plain.Content.ReadAsStringAsync()).RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.True(promptTokens > plainTokens + 10, $"{promptTokens} with the template, {plainTokens} without");

        using var missing = await Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Who?", prompt_id = "opea-chatqna", stream = false });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Contains("context", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_conversation_is_404_in_each_doors_shape()
    {
        var unknown = Guid.NewGuid();

        using var opea = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = unknown, messages = "Hi" });
        Assert.Equal(HttpStatusCode.NotFound, opea.StatusCode);
        Assert.Contains(unknown.ToString(), JsonDocument.Parse(await opea.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var openAi = await ChatAsync(Client, new { conversation_id = unknown, messages = User("Hi") });
        Assert.Equal(404, openAi.Status);
        Assert.Equal("conversation_not_found", openAi.Body.GetProperty("error").GetProperty("code").GetString());
    }

    private async Task<string> CreateConversationAsync(object settings, HttpClient? client = null)
    {
        using var response = await (client ?? Client).PostAsJsonAsync("/v1/conversations", settings);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<IReadOnlyList<JsonElement>> GetMessagesAsync(string id, HttpClient? client = null)
    {
        using var response = await (client ?? Client).GetAsync($"/v1/conversations/{id}/messages");
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var list = root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("data");
        return list.EnumerateArray().Select(message => message.Clone()).ToArray();
    }

    /// <summary>The reply is stored as streaming at once and ended when the gateway notices the stream ended: wait for that (bounded).</summary>
    private async Task<JsonElement> WaitForReplyAsync(string id, HttpClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var messages = await GetMessagesAsync(id, client);
            if (messages.Count == 2 && messages[1].GetProperty("status").GetString() != "streaming")
            {
                return messages[1];
            }

            Assert.True(DateTime.UtcNow < deadline, $"No reply was saved: {messages.Count} messages.");
            await Task.Delay(100);
        }
    }

    private static async Task<string> ReadOpenAiStreamAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = new System.Text.StringBuilder();
            foreach (var line in (await OpeaStream.ReadDataLinesAsync(response)).Where(line => line != "[DONE]"))
            {
                foreach (var choice in JsonDocument.Parse(line).RootElement.GetProperty("choices").EnumerateArray())
                {
                    if (choice.GetProperty("delta").TryGetProperty("content", out var content))
                    {
                        text.Append(content.GetString());
                    }
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _gateway.Dispose();
}
