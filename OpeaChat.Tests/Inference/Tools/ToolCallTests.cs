extern alias JsonEverything;

using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using JsonEverything::Json.Schema;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference.Tools;

/// <summary>
/// Tool calls end to end on the real tiny model over HTTP. The model cannot choose tools by itself, so
/// <c>required</c> and a named function show the grammar at work: under many seeds every call must name a given
/// function and carry arguments that an independent validator (JsonSchema.Net) accepts against that function's schema.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ToolCallTests(InferenceServerFixture server) : IClassFixture<InferenceServerFixture>
{
    private const int Seeds = 8;
    private const int MaxTokens = 400;

    private static readonly Dictionary<string, string> s_schemas = new()
    {
        ["get_weather"] = """{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":10},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}""",
        ["add"] = """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"],"additionalProperties":false}""",
        ["plan"] = """{"type":"object","properties":{"steps":{"type":"array","minItems":1,"maxItems":3,"items":{"type":"object","properties":{"id":{"type":"integer"},"done":{"type":"boolean"}},"required":["id","done"],"additionalProperties":false}}},"required":["steps"],"additionalProperties":false}""",
    };

    private HttpClient Client => server.Host.Client;

    private static object[] Tools => [.. s_schemas.Select(pair => new
    {
        type = "function",
        function = new { name = pair.Key, description = $"The {pair.Key} function.", parameters = JsonDocument.Parse(pair.Value).RootElement.Clone() },
    })];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Required_always_gives_a_call_whose_arguments_follow_its_schema(bool stream)
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var reply = await CallAsync(new
            {
                messages = User("What is the weather in Paris?"), tools = Tools, tool_choice = "required", parallel_tool_calls = false, max_tokens = MaxTokens, seed, stream,
            }, stream);

            var what = $"seed {seed}, {(stream ? "streamed" : "whole")}: {reply.Raw}";
            Assert.True(reply.FinishReason == "tool_calls", $"{what} ended with {reply.FinishReason}");
            AssertValid(Assert.Single(reply.Calls), what);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Parallel_calls_are_each_valid(bool stream)
    {
        var counts = new List<int>();
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var reply = await CallAsync(new { messages = User("Weather and a sum?"), tools = Tools, tool_choice = "required", max_tokens = 1200, seed, stream }, stream);

            // The tiny model may go on calling until the token limit; then only the last call may be cut short.
            var what = $"seed {seed}, {(stream ? "streamed" : "whole")}: {reply.Raw}";
            Assert.True(reply.FinishReason is "tool_calls" or "length", what);
            var whole = reply.FinishReason == "tool_calls" ? reply.Calls : reply.Calls.SkipLast(1).ToList();
            Assert.NotEmpty(whole);
            Assert.All(whole, call => AssertValid(call, what));
            Assert.Equal(reply.Calls.Count, reply.Calls.Select(call => call.Id).Distinct().Count());
            counts.Add(reply.Calls.Count);
        }

        Assert.True(counts.Max() <= 8, string.Join(", ", counts));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_named_function_is_called_once_with_valid_arguments(bool stream)
    {
        foreach (var name in s_schemas.Keys)
        {
            for (var seed = 1; seed <= Seeds; seed++)
            {
                var reply = await CallAsync(new
                {
                    messages = User("Do it."),
                    tools = Tools,
                    tool_choice = new { type = "function", function = new { name } },
                    max_tokens = MaxTokens,
                    seed,
                    stream,
                }, stream);

                var what = $"{name}, seed {seed}, {(stream ? "streamed" : "whole")}: {reply.Raw}";
                Assert.True(reply.FinishReason == "tool_calls", $"{what} ended with {reply.FinishReason}");
                var call = Assert.Single(reply.Calls);
                Assert.Equal(name, call.Name);
                AssertValid(call, what);
            }
        }
    }

    [Fact]
    public async Task Streamed_calls_come_as_a_head_then_argument_fragments()
    {
        var reply = await CallAsync(new { messages = User("Plan."), tools = Tools, tool_choice = new { type = "function", function = new { name = "plan" } }, max_tokens = MaxTokens, seed = 3, stream = true }, stream: true);

        var call = Assert.Single(reply.Calls);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        // The arguments arrive as they are generated, not in one piece at the end.
        Assert.True(call.Fragments > 3, $"{call.Fragments} fragments: {reply.Raw}");
        AssertValid(call, reply.Raw);
    }

    [Fact]
    public async Task Auto_gives_text_or_valid_calls()
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            foreach (var stream in new[] { false, true })
            {
                var reply = await CallAsync(new { messages = User("Tell me a story."), tools = Tools, tool_choice = "auto", max_tokens = 60, seed, stream }, stream);
                if (reply.Calls.Count == 0)
                {
                    Assert.True(reply.FinishReason is "stop" or "length", reply.Raw);
                    Assert.False(string.IsNullOrWhiteSpace(reply.Content), reply.Raw);
                }
                else
                {
                    Assert.Equal("tool_calls", reply.FinishReason);
                    Assert.All(reply.Calls, call => AssertValid(call, reply.Raw));
                }
            }
        }
    }

    [Fact]
    public async Task The_model_list_says_which_tool_format_a_loaded_model_uses()
    {
        var model = await GetModelAsync(Client, "stories260K");

        // The test model has no chat template: the generic format.
        Assert.Equal("generic", model.GetProperty("tool_format").GetString());
    }

    [Fact]
    public async Task None_answers_in_text_even_with_tools()
    {
        var reply = await CallAsync(new { messages = User("Weather?"), tools = Tools, tool_choice = "none", max_tokens = 30, seed = 1 }, stream: false);
        Assert.Empty(reply.Calls);
        Assert.False(string.IsNullOrWhiteSpace(reply.Content));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tool_result_in_the_history_is_answered(bool stream)
    {
        var first = await CallAsync(new { messages = User("Weather in Oslo?"), tools = Tools, tool_choice = new { type = "function", function = new { name = "get_weather" } }, max_tokens = MaxTokens, seed = 5 }, stream: false);
        var call = Assert.Single(first.Calls);

        object[] history =
        [
            new { role = "user", content = "Weather in Oslo?" },
            new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = call.Id, type = "function", function = new { name = call.Name, arguments = call.Arguments } } } },
            new { role = "tool", tool_call_id = call.Id, content = "{\"temperature\": 21}" },
        ];
        var usage = stream ? new { include_usage = true } : null;
        var second = await CallAsync(new { messages = history, tools = Tools, max_tokens = 30, seed = 5, stream, stream_options = usage }, stream);
        var without = await CallAsync(new { messages = history.Take(1).ToArray(), tools = Tools, max_tokens = 30, seed = 5, stream, stream_options = usage }, stream);

        Assert.True(second.Calls.Count > 0 || !string.IsNullOrWhiteSpace(second.Content), second.Raw);
        // The call and its result are in what the model read.
        Assert.True(second.PromptTokens > without.PromptTokens + 10, $"{second.PromptTokens} vs {without.PromptTokens}");
    }

    private static void AssertValid(Call call, string what)
    {
        Assert.True(s_schemas.ContainsKey(call.Name), $"unknown function '{call.Name}' in {what}");
        using var arguments = JsonDocument.Parse(call.Arguments);
        var result = JsonSchema.FromText(s_schemas[call.Name]).Evaluate(arguments.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"arguments {call.Arguments} of {call.Name} do not follow its schema in {what}");
    }

    private sealed record Call(string Id, string Name, string Arguments, int Fragments);

    private sealed record Reply(string? Content, IReadOnlyList<Call> Calls, string? FinishReason, int PromptTokens, string Raw);

    private async Task<Reply> CallAsync(object body, bool stream)
    {
        using var response = await Client.PostAsJsonAsync("/v1/chat/completions", body);
        if (!stream)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            var json = JsonDocument.Parse(text).RootElement;
            var choice = json.GetProperty("choices")[0];
            var message = choice.GetProperty("message");
            var calls = message.TryGetProperty("tool_calls", out var list)
                ? list.EnumerateArray().Select(item =>
                {
                    Assert.Equal("function", item.GetProperty("type").GetString());
                    var function = item.GetProperty("function");
                    return new Call(item.GetProperty("id").GetString()!, function.GetProperty("name").GetString()!, function.GetProperty("arguments").GetString()!, 1);
                }).ToList()
                : [];
            return new Reply(message.GetProperty("content").GetString(), calls, choice.GetProperty("finish_reason").GetString(),
                json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), text);
        }

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var lines = await OpeaStream.ReadDataLinesAsync(response);
        Assert.Equal("[DONE]", lines[^1]);
        var content = new StringBuilder();
        var heads = new SortedDictionary<int, (string Id, string Name)>();
        var arguments = new Dictionary<int, (StringBuilder Text, int Fragments)>();
        string? finish = null;
        var promptTokens = 0;
        foreach (var line in lines.SkipLast(1))
        {
            var chunk = JsonDocument.Parse(line).RootElement;
            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
            }

            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                var delta = choice.GetProperty("delta");
                if (delta.TryGetProperty("content", out var piece) && piece.GetString() is { } pieceText)
                {
                    content.Append(pieceText);
                }

                if (delta.TryGetProperty("tool_calls", out var toolCalls))
                {
                    foreach (var toolCall in toolCalls.EnumerateArray())
                    {
                        var index = toolCall.GetProperty("index").GetInt32();
                        var function = toolCall.GetProperty("function");
                        if (toolCall.TryGetProperty("id", out var id))
                        {
                            // The head comes first and once per call.
                            Assert.False(heads.ContainsKey(index), line);
                            Assert.Equal("function", toolCall.GetProperty("type").GetString());
                            heads[index] = (id.GetString()!, function.GetProperty("name").GetString()!);
                            arguments[index] = (new StringBuilder(), 0);
                        }
                        else
                        {
                            Assert.True(heads.ContainsKey(index), $"arguments before the head of call {index}: {line}");
                        }

                        if (function.TryGetProperty("arguments", out var fragment) && fragment.GetString() is { Length: > 0 } fragmentText)
                        {
                            var (builder, count) = arguments[index];
                            builder.Append(fragmentText);
                            arguments[index] = (builder, count + 1);
                        }
                    }
                }

                if (choice.GetProperty("finish_reason").GetString() is { } reason)
                {
                    finish = reason;
                }
            }
        }

        var streamed = heads.Select(pair => new Call(pair.Value.Id, pair.Value.Name, arguments[pair.Key].Text.ToString(), arguments[pair.Key].Fragments)).ToList();
        Assert.Equal(Enumerable.Range(0, streamed.Count), heads.Keys);
        return new Reply(content.ToString(), streamed, finish, promptTokens, string.Join("\n", lines));
    }
}
