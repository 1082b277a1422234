using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>
/// Tool calls kept in conversations: the gateway in front of real inference on the tiny model (which cannot choose
/// a tool itself, so <c>tool_choice: required</c> forces the call), real SQLite, real HTTP.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ToolCallStorageTests(InferenceServerFixture inference) : IClassFixture<InferenceServerFixture>, IDisposable
{
    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":10}},"required":["city"],"additionalProperties":false}""";

    private readonly GatewayHost _gateway = GatewayHost.Start(inference.Host.BaseAddress);

    private HttpClient Client => _gateway.Client;

    private static object[] Tools =>
    [
        new { type = "function", function = new { name = "get_weather", description = "The weather in a city.", parameters = JsonDocument.Parse(WeatherSchema).RootElement.Clone() } },
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_forced_call_its_result_and_the_follow_up_are_stored_in_order_and_exported(bool stream)
    {
        var id = await CreateConversationAsync();

        var call = await SendAsync(new
        {
            conversation_id = id, messages = User("What is the weather in Paris?"), tools = Tools, tool_choice = "required", parallel_tool_calls = false,
            max_tokens = 200, seed = 3, stream, stream_options = new { include_usage = true },
        }, stream);
        Assert.True(call.FinishReason == "tool_calls", call.Raw);
        var made = Assert.Single(call.Calls);
        Assert.Equal("get_weather", made.Name);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(made.Arguments).RootElement.ValueKind);

        var afterCall = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant"], afterCall.Select(m => m.Role));
        Assert.Equal(MessageStatuses(afterCall), ["complete", "complete"]);
        var storedCall = Assert.Single(afterCall[1].ToolCalls!);
        Assert.Equal((made.Id, made.Name, made.Arguments), (storedCall.Id, storedCall.Function!.Name, storedCall.Function.Arguments));
        Assert.Equal(call.Text, afterCall[1].Content);

        // The next turn is the tool's result, not a user message.
        var followUp = await SendAsync(new
        {
            conversation_id = id,
            messages = new object[] { new { role = "tool", tool_call_id = made.Id, content = """{"sky":"sunny","degrees":21}""" } },
            tools = Tools, tool_choice = "none", max_tokens = 8, seed = 3, stream, stream_options = new { include_usage = true },
        }, stream);
        Assert.True(followUp.Status == 200, followUp.Raw);
        Assert.Empty(followUp.Calls);
        // The history inference got was the question, the call and its result in OpenAI's shape: the same chat sent
        // whole without a conversation (relayed unchanged) makes a prompt of the same size.
        var explicitHistory = await SendAsync(new
        {
            messages = new object[]
            {
                new { role = "user", content = "What is the weather in Paris?" },
                new
                {
                    role = "assistant", content = (string?)null,
                    tool_calls = new[] { new { id = made.Id, type = "function", function = new { name = made.Name, arguments = made.Arguments } } },
                },
                new { role = "tool", tool_call_id = made.Id, content = """{"sky":"sunny","degrees":21}""" },
            },
            tools = Tools, tool_choice = "none", max_tokens = 8, seed = 3, stream = false,
        }, stream: false);
        Assert.True(explicitHistory.Status == 200, explicitHistory.Raw);
        Assert.True(followUp.PromptTokens > 0);
        Assert.Equal(explicitHistory.PromptTokens, followUp.PromptTokens);
        Assert.Equal(explicitHistory.Text, followUp.Text);

        var all = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant", "tool", "assistant"], all.Select(m => m.Role));
        Assert.Equal(made.Id, all[2].ToolCallId);
        Assert.Equal("""{"sky":"sunny","degrees":21}""", all[2].Content);
        Assert.Equal(all[1].Id, all[2].ParentId);
        Assert.Equal(all[2].Id, all[3].ParentId);
        Assert.Equal(followUp.Text, all[3].Content);
        Assert.Equal("complete", all[3].Status);
        Assert.Null(all[3].ToolCalls);

        using var export = await Client.GetAsync($"/v1/conversations/{id}/export?format=json");
        var exported = JsonDocument.Parse(await export.Content.ReadAsStringAsync()).RootElement;
        var messages = exported.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "tool", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(made.Arguments, messages[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal(made.Id, messages[2].GetProperty("tool_call_id").GetString());

        using var markdown = await Client.GetAsync($"/v1/conversations/{id}/export?format=markdown");
        var text = await markdown.Content.ReadAsStringAsync();
        Assert.Contains("**Tool call** `get_weather`", text, StringComparison.Ordinal);
        Assert.Contains("```json\n" + made.Arguments + "\n```", text, StringComparison.Ordinal);
        Assert.Contains("> {\"sky\":\"sunny\",\"degrees\":21}", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("## Tool", StringComparison.Ordinal) < text.LastIndexOf("## Assistant", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task A_tool_message_for_an_unknown_call_is_refused_naming_it_and_stores_nothing()
    {
        var id = await ImportAsync();
        var before = await GetMessagesAsync(id);

        using var response = await Client.PostAsJsonAsync("/v1/chat/completions", new
        {
            conversation_id = id,
            messages = new object[]
            {
                new { role = "tool", tool_call_id = "call_1", content = "21 degrees" },
                new { role = "tool", tool_call_id = "call_other", content = "rain" },
            },
            max_tokens = 4,
        });
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("messages[1].tool_call_id", error.GetProperty("param").GetString());
        Assert.Equal("unknown_tool_call_id", error.GetProperty("code").GetString());
        Assert.Equal(before.Select(m => m.Id), (await GetMessagesAsync(id)).Select(m => m.Id));
    }

    [Fact]
    public async Task A_tool_message_after_a_plain_reply_is_refused()
    {
        var id = await CreateConversationAsync();
        var first = await ChatAsync(Client, new { conversation_id = id, messages = User("Once upon a time"), max_tokens = 4 });
        Assert.Equal(200, first.Status);

        using var response = await Client.PostAsJsonAsync("/v1/chat/completions", new
        {
            conversation_id = id, messages = new object[] { new { role = "tool", tool_call_id = "call_1", content = "x" } }, max_tokens = 4,
        });
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("messages[0].tool_call_id", error.GetProperty("param").GetString());
        Assert.Equal("unknown_tool_call_id", error.GetProperty("code").GetString());
        Assert.Equal(2, (await GetMessagesAsync(id)).Count);
    }

    [Fact]
    public async Task Imported_tool_calls_round_trip_and_a_tool_turn_continues_them()
    {
        var id = await ImportAsync();
        var imported = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant"], imported.Select(m => m.Role));
        var call = Assert.Single(imported[1].ToolCalls!);
        Assert.Equal(("call_1", "get_weather", """{"city":"Oslo"}"""), (call.Id, call.Function!.Name, call.Function.Arguments));

        var reply = await ChatAsync(Client, new
        {
            conversation_id = id, messages = new object[] { new { role = "tool", tool_call_id = "call_1", content = "cold" } }, max_tokens = 6, seed = 1,
        });
        Assert.True(reply.Status == 200, reply.Body.ToString());

        // Exported and imported again, the whole tree keeps its tool calls and results.
        using var export = await Client.GetAsync($"/v1/conversations/{id}/export?format=json");
        using var content = new StringContent(await export.Content.ReadAsStringAsync(), Encoding.UTF8, "application/json");
        using var again = await Client.PostAsync("/v1/conversations/import", content);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        var copyId = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        var copy = await GetMessagesAsync(copyId);
        Assert.Equal(["user", "assistant", "tool", "assistant"], copy.Select(m => m.Role));
        Assert.Equal("call_1", copy[2].ToolCallId);
        Assert.Equal("cold", copy[2].Content);
        Assert.Equal("""{"city":"Oslo"}""", copy[1].ToolCalls![0].Function!.Arguments);
        Assert.Equal(reply.Text, copy[3].Content);
    }

    [Fact]
    public async Task A_user_turn_after_tool_calls_still_works_and_regenerating_after_a_tool_turn_answers_again()
    {
        var id = await ImportAsync();
        var reply = await ChatAsync(Client, new { conversation_id = id, messages = User("Never mind, tell a story."), max_tokens = 6 });
        Assert.True(reply.Status == 200, reply.Body.ToString());
        Assert.Equal(["user", "assistant", "user", "assistant"], (await GetMessagesAsync(id)).Select(m => m.Role));

        var toolTurn = await ImportAsync();
        var answered = await ChatAsync(Client, new { conversation_id = toolTurn, messages = new object[] { new { role = "tool", tool_call_id = "call_1", content = "cold" } }, max_tokens = 6 });
        Assert.Equal(200, answered.Status);
        var branch = await GetMessagesAsync(toolTurn);
        using var regenerate = await Client.PostAsJsonAsync($"/v1/conversations/{toolTurn}/messages/{branch[^1].Id}/regenerate", new { max_tokens = 6 });
        Assert.True(regenerate.IsSuccessStatusCode, $"{(int)regenerate.StatusCode} {await regenerate.Content.ReadAsStringAsync()}");
        var after = await GetMessagesAsync(toolTurn);
        Assert.Equal(["user", "assistant", "tool", "assistant"], after.Select(m => m.Role));
        Assert.NotEqual(branch[^1].Id, after[^1].Id);
        Assert.Equal(branch[2].Id, after[^1].ParentId);
    }

    [Fact]
    public async Task The_chatqna_door_ignores_tools_and_answers_in_opeas_format()
    {
        using var response = await Client.PostAsJsonAsync("/v1/chatqna", new
        {
            messages = "Once upon a time", tools = Tools, tool_choice = "required", max_tokens = 6, stream = false,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("message").GetProperty("content").GetString()), body);
        Assert.NotEqual("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.DoesNotContain("tool_calls", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_response_cache_does_not_answer_a_request_with_tools_from_one_without()
    {
        // Same messages, seed and settings: only the tools differ, so a cached text answer would be wrong.
        var plain = await SendAsync(new { messages = User("What is the weather in Paris?"), max_tokens = 200, seed = 11 }, stream: false);
        var withTools = await SendAsync(new
        {
            messages = User("What is the weather in Paris?"), max_tokens = 200, seed = 11, tools = Tools, tool_choice = "required", parallel_tool_calls = false,
        }, stream: false);

        Assert.True(plain.Status == 200 && withTools.Status == 200, plain.Raw + withTools.Raw);
        Assert.Empty(plain.Calls);
        Assert.True(withTools.FinishReason == "tool_calls", withTools.Raw);
        Assert.Equal("get_weather", Assert.Single(withTools.Calls).Name);
    }

    [Fact]
    public void Streamed_pieces_of_tool_calls_are_put_together_by_index()
    {
        var collector = new ToolCallCollector();
        Assert.Null(collector.Calls);
        collector.Add([new ToolCallDelta { Index = 0, Id = "call_a", Type = "function", Function = new FunctionCall { Name = "get_weather", Arguments = "" } }]);
        collector.Add([new ToolCallDelta { Index = 0, Function = new FunctionCall { Arguments = "{\"city\":" } }]);
        collector.Add([
            new ToolCallDelta { Index = 1, Id = "call_b", Function = new FunctionCall { Name = "add", Arguments = "{\"a\":1" } },
            new ToolCallDelta { Index = 0, Function = new FunctionCall { Arguments = "\"Oslo\"}" } },
        ]);

        // Part-way (a reply stopped now): the second call's arguments are cut short, and kept as they came.
        var calls = collector.Calls!;
        Assert.Equal(2, calls.Count);
        Assert.Equal(("call_a", "get_weather", "{\"city\":\"Oslo\"}"), (calls[0].Id, calls[0].Function!.Name, calls[0].Function!.Arguments));
        Assert.Equal(("call_b", "add", "{\"a\":1"), (calls[1].Id, calls[1].Function!.Name, calls[1].Function!.Arguments));
    }

    [Fact]
    public void Stored_messages_become_openais_shapes_and_unfinished_calls_are_not_sent()
    {
        ToolCall[] calls = [new() { Id = "call_1", Function = new FunctionCall { Name = "f", Arguments = "{}" } }];
        var complete = ChatMemory.ToChatMessage(Stored("assistant", "", "complete") with { ToolCalls = calls });
        Assert.Null(complete.Content);
        Assert.Equal("call_1", Assert.Single(complete.ToolCalls!).Id);

        var stopped = ChatMemory.ToChatMessage(Stored("assistant", "partial", "stopped") with { ToolCalls = calls });
        Assert.Null(stopped.ToolCalls);
        Assert.Equal("partial", stopped.Content?.Text);

        // A reply cut by max_tokens is stored as complete; the call it was still writing is not sent back.
        ToolCall[] cut = [calls[0], new() { Id = "call_2", Function = new FunctionCall { Name = "f", Arguments = "{\"a\": 1" } }];
        var lengthCapped = ChatMemory.ToChatMessage(Stored("assistant", "", "complete") with { ToolCalls = cut });
        Assert.Equal(["call_1"], lengthCapped.ToolCalls!.Select(call => call.Id));

        var tool = ChatMemory.ToChatMessage(Stored("tool", "21", "complete") with { ToolCallId = "call_1" });
        Assert.Equal(("tool", "call_1", "21"), (tool.Role, tool.ToolCallId, tool.Content?.Text));

        // The trimmer copes with a message without content and keeps a call with its result in one turn.
        var trimmed = HistoryTrimmer.Trim([ChatMessage.Create("user", new string('a', 400)), complete, tool, ChatMessage.Create("user", "now")], 500, 200, 10);
        Assert.NotNull(trimmed);
        Assert.Equal(["user"], trimmed.Value.Messages.Select(m => m.Role));
    }

    public void Dispose() => _gateway.Dispose();

    private static MessageRecord Stored(string role, string content, string status) => new() { Role = role, Content = content, Status = status };

    private static List<string> MessageStatuses(List<BranchMessage> messages) => messages.ConvertAll(m => m.Status);

    private async Task<Guid> CreateConversationAsync()
    {
        using var response = await Client.PostAsJsonAsync("/v1/conversations", new { });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>A conversation whose last reply called a tool, brought in by import (as another installation exported it).</summary>
    private async Task<Guid> ImportAsync()
    {
        var user = Guid.NewGuid();
        var assistant = Guid.NewGuid();
        var body = new
        {
            format = "opeachat.conversation",
            version = 1,
            conversation = new { title = "Weather" },
            messages = new object[]
            {
                new { id = user, role = "user", content = "Weather in Oslo?" },
                new
                {
                    id = assistant, parent_id = user, role = "assistant", content = "",
                    tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = "get_weather", arguments = """{"city":"Oslo"}""" } } },
                },
            },
        };
        using var response = await Client.PostAsJsonAsync("/v1/conversations/import", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private async Task<List<BranchMessage>> GetMessagesAsync(Guid id)
    {
        var list = await Client.GetFromJsonAsync($"/v1/conversations/{id}/messages", ConversationsJsonContext.Default.MessageList);
        return [.. list!.Data];
    }

    private sealed record Call(string Id, string Name, string Arguments);

    private sealed record Reply(int Status, string Text, string? FinishReason, IReadOnlyList<Call> Calls, int PromptTokens, string Raw);

    /// <summary>Sends a chat (whole or streamed) and reads its text, finish reason, tool calls (pieces joined by index) and prompt size.</summary>
    private async Task<Reply> SendAsync(object body, bool stream)
    {
        using var response = await Client.PostAsJsonAsync("/v1/chat/completions", body);
        if (!stream || !response.IsSuccessStatusCode)
        {
            var raw = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                return new Reply((int)response.StatusCode, "", null, [], 0, raw);
            }

            var root = JsonDocument.Parse(raw).RootElement;
            var choice = root.GetProperty("choices")[0];
            var message = choice.GetProperty("message");
            var calls = message.TryGetProperty("tool_calls", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(c => new Call(c.GetProperty("id").GetString()!, c.GetProperty("function").GetProperty("name").GetString()!,
                    c.GetProperty("function").GetProperty("arguments").GetString()!)).ToList()
                : [];
            return new Reply(200, message.GetProperty("content").ValueKind == JsonValueKind.String ? message.GetProperty("content").GetString()! : "",
                choice.GetProperty("finish_reason").GetString(), calls, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), raw);
        }

        var lines = await OpeaStream.ReadDataLinesAsync(response);
        var text = new StringBuilder();
        var pieces = new SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();
        string? finish = null;
        var promptTokens = 0;
        foreach (var line in lines.Where(line => line != "[DONE]"))
        {
            var chunk = JsonDocument.Parse(line).RootElement;
            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
            }

            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                var delta = choice.GetProperty("delta");
                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }

                if (delta.TryGetProperty("tool_calls", out var deltas) && deltas.ValueKind == JsonValueKind.Array)
                {
                    foreach (var piece in deltas.EnumerateArray())
                    {
                        var index = piece.GetProperty("index").GetInt32();
                        var known = pieces.TryGetValue(index, out var k) ? k : (null, null, new StringBuilder());
                        known.Id ??= piece.TryGetProperty("id", out var pid) ? pid.GetString() : null;
                        if (piece.TryGetProperty("function", out var function))
                        {
                            known.Name ??= function.TryGetProperty("name", out var name) ? name.GetString() : null;
                            known.Arguments.Append(function.TryGetProperty("arguments", out var arguments) ? arguments.GetString() : null);
                        }

                        pieces[index] = known;
                    }
                }

                if (choice.GetProperty("finish_reason").GetString() is { } reason)
                {
                    finish = reason;
                }
            }
        }

        return new Reply(200, text.ToString(), finish, pieces.Values.Select(p => new Call(p.Id!, p.Name!, p.Arguments.ToString())).ToList(), promptTokens, string.Join("\n", lines));
    }
}
