using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// Log-probabilities end to end with the real tiny model: one entry per generated token, in OpenAI's shapes (chat's
/// per-token entries, the legacy parallel lists of text completions), streamed and whole; the values are the model's
/// own distribution, so at temperature 0 the sampled token is the most likely one, and at temperature 1 the sampled
/// token's value agrees with its position's list.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class LogprobsTests(InferenceServerFixture server) : IClassFixture<InferenceServerFixture>
{
    private const int MaxTokens = 48;

    private HttpClient Client => server.Host.Client;

    public static TheoryData<bool, int?> ChatCases => new()
    {
        { false, 5 }, { true, 5 }, { false, 0 }, { true, null }, { false, 20 }, { true, 20 },
    };

    [Theory]
    [MemberData(nameof(ChatCases))]
    public async Task Chat_at_temperature_0_lists_every_token_as_the_most_likely_one(bool stream, int? topLogprobs)
    {
        for (var seed = 1; seed <= 3; seed++)
        {
            var reply = await ChatWithLogprobsAsync(stream, new
            {
                messages = User(seed switch { 1 => "Tell me a story.", 2 => "Who is Lily?", _ => "What did the cat do?" }),
                max_tokens = MaxTokens,
                temperature = 0,
                seed,
                logprobs = true,
                top_logprobs = topLogprobs,
            });

            var what = $"seed {seed}, {(stream ? "streamed" : "whole")}, top_logprobs {topLogprobs}: {reply.Text}";
            Assert.True(reply.CompletionTokens > 0, what);
            Assert.Equal(reply.CompletionTokens, reply.Entries.Count);
            AssertSpell(reply.Text, reply.Entries, what);
            foreach (var entry in reply.Entries)
            {
                Assert.True(entry.Logprob <= 0, $"{what}: {entry}");
                Assert.Equal(topLogprobs ?? 0, entry.Top.Count);
                AssertDescending(entry.Top, what);
                Assert.All(entry.Top, top => Assert.Equal(Encoding.UTF8.GetString(top.Bytes), top.Token));
                if (entry.Top.Count > 0)
                {
                    Assert.Equal(entry.Top[0].Token, entry.Token);
                    Assert.Equal(entry.Top[0].Logprob, entry.Logprob);
                    Assert.True(entry.Top.Sum(top => Math.Exp(top.Logprob)) <= 1.0001, $"{what}: the probabilities of {entry} add up to more than 1");
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_at_temperature_1_gives_the_sampled_token_the_value_its_position_lists(bool stream)
    {
        const int Top = 20;
        var belowTheTop = 0;
        for (var seed = 1; seed <= 5; seed++)
        {
            var reply = await ChatWithLogprobsAsync(stream, new
            {
                messages = User("Tell me a story about a dog."),
                max_tokens = MaxTokens,
                temperature = 1,
                top_k = 0,
                top_p = 1,
                min_p = 0,
                seed,
                logprobs = true,
                top_logprobs = Top,
            });

            var what = $"seed {seed}, {(stream ? "streamed" : "whole")}: {reply.Text}";
            Assert.Equal(reply.CompletionTokens, reply.Entries.Count);
            AssertSpell(reply.Text, reply.Entries, what);
            foreach (var entry in reply.Entries)
            {
                Assert.Equal(Top, entry.Top.Count);
                AssertDescending(entry.Top, what);
                var listed = entry.Top.Where(top => top.Bytes.SequenceEqual(entry.Bytes)).ToList();
                if (listed.Count > 0)
                {
                    Assert.Contains(listed, top => top.Logprob == entry.Logprob);
                }
                else
                {
                    Assert.True(entry.Logprob <= entry.Top[^1].Logprob, $"{what}: {entry} is not listed, yet more likely than the last of its list");
                }

                belowTheTop += entry.Top[0].Token == entry.Token ? 0 : 1;
            }
        }

        // Proof that the sampler was free: some tokens were not the most likely ones, and still matched their lists.
        Assert.True(belowTheTop > 0, "every sampled token was the most likely one at temperature 1");
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 3)]
    [InlineData(true, 5)]
    public async Task Text_completions_give_the_legacy_lists(bool stream, int logprobs)
    {
        var reply = await CompleteWithLogprobsAsync(stream, new
        {
            prompt = "Once upon a time",
            max_tokens = MaxTokens,
            temperature = 0,
            logprobs,
        });

        var what = $"{(stream ? "streamed" : "whole")}, logprobs {logprobs}: {reply.Text}";
        Assert.True(reply.CompletionTokens > 0, what);
        Assert.Equal(reply.CompletionTokens, reply.Tokens.Count);
        Assert.Equal(reply.Tokens.Count, reply.TokenLogprobs.Count);
        Assert.Equal(reply.Tokens.Count, reply.TopLogprobs.Count);
        Assert.Equal(reply.Tokens.Count, reply.TextOffsets.Count);
        // Offsets are checked exactly while every token is whole characters; a token holding part of a character (it
        // reads U+FFFD) shares its offset with the token that completes the character, so after one only the order is.
        var offset = 0;
        var whole = true;
        for (var i = 0; i < reply.Tokens.Count; i++)
        {
            var (token, logprob, top) = (reply.Tokens[i], reply.TokenLogprobs[i], reply.TopLogprobs[i]);
            Assert.True(logprob <= 0, $"{what}: token {i} '{token}' {logprob}");

            // The asked number of most likely tokens and, as OpenAI's legacy API, the sampled one (here the most likely).
            Assert.Equal(Math.Max(logprobs, 1), top.Count);
            Assert.Equal(logprob, top[token]);
            Assert.Equal(top.Values.Max(), logprob);
            whole &= !token.Contains('\uFFFD', StringComparison.Ordinal);
            if (whole)
            {
                Assert.Equal(offset, reply.TextOffsets[i]);
                Assert.True(reply.Text.AsSpan(offset).StartsWith(token, StringComparison.Ordinal), $"{what}: token {i} '{token}' is not at {offset}");
                offset += token.Length;
            }
            else
            {
                Assert.True(reply.TextOffsets[i] >= reply.TextOffsets[i - 1] && reply.TextOffsets[i] <= reply.Text.Length, $"{what}: offset {i}");
            }
        }

        Assert.True(!whole || offset == reply.Text.Length, $"{what}: the tokens spell {offset} of {reply.Text.Length} characters");
    }

    [Fact]
    public async Task A_stop_sequence_drops_the_tokens_it_hides()
    {
        var body = new Dictionary<string, object>
        {
            ["messages"] = User("Tell me a story."), ["max_tokens"] = MaxTokens, ["temperature"] = 0, ["cache_prompt"] = false, ["logprobs"] = true,
        };
        var first = await ChatWithLogprobsAsync(stream: false, body);

        // A token well inside the reply, whose text first appears where it starts: stopping there cuts at its start.
        var starts = new List<int>();
        var spelled = new StringBuilder();
        foreach (var entry in first.Entries)
        {
            starts.Add(spelled.Length);
            spelled.Append(entry.Token);
        }

        var cut = Enumerable.Range(4, Math.Max(0, first.Entries.Count - 4)).FirstOrDefault(i =>
            first.Entries[i].Token.Trim().Length >= 2 && first.Entries.Take(i + 1).All(entry => !entry.Token.Contains('\uFFFD', StringComparison.Ordinal))
            && first.Text.IndexOf(first.Entries[i].Token, StringComparison.Ordinal) == starts[i]);
        Assert.True(cut > 0, $"no token of this reply makes a clean stop sequence: {first.Text}");

        foreach (var stream in new[] { false, true })
        {
            body["stop"] = first.Entries[cut].Token;
            var stopped = await ChatWithLogprobsAsync(stream, body);

            var what = $"stop '{first.Entries[cut].Token}', {(stream ? "streamed" : "whole")}: {stopped.Text}";
            Assert.Equal(first.Text[..starts[cut]], stopped.Text);
            Assert.Equal(cut + 1, stopped.CompletionTokens);
            Assert.Equal(cut, stopped.Entries.Count);
            AssertSpell(stopped.Text, stopped.Entries, what);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tool_call_lists_its_tokens_too(bool stream)
    {
        var parameters = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":10}},"required":["city"],"additionalProperties":false}""")
            .RootElement.Clone();
        for (var seed = 1; seed <= 3; seed++)
        {
            var reply = await ChatWithLogprobsAsync(stream, new
            {
                messages = User("What is the weather in Paris?"),
                tools = new[] { new { type = "function", function = new { name = "get_weather", parameters } } },
                tool_choice = "required",
                parallel_tool_calls = false,
                max_tokens = 200,
                seed,
                logprobs = true,
                top_logprobs = 3,
            });

            var what = $"seed {seed}, {(stream ? "streamed" : "whole")}";
            Assert.True(reply.CompletionTokens > 0, what);
            Assert.Equal(reply.CompletionTokens, reply.Entries.Count);
            Assert.All(reply.Entries, entry => AssertDescending(entry.Top, what));
            Assert.All(reply.Entries, entry => Assert.True(entry.Logprob <= 0, $"{what}: {entry}"));
        }
    }

    [Theory]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/completions", false)]
    [InlineData("/v1/completions", true)]
    public async Task Without_the_ask_there_is_no_logprobs_field(string path, bool stream)
    {
        object body = path.Contains("chat", StringComparison.Ordinal)
            ? new { messages = User("Hi"), max_tokens = 8, stream, logprobs = false }
            : new { prompt = "Once upon a time", max_tokens = 8, stream };
        var chunks = await PostAsync(path, stream, body);

        Assert.All(chunks, chunk => Assert.All(chunk.GetProperty("choices").EnumerateArray(), choice => Assert.False(choice.TryGetProperty("logprobs", out _), chunk.ToString())));
    }

    [Fact]
    public async Task Every_streamed_content_chunk_carries_its_tokens_and_no_other_chunk_does()
    {
        var chunks = await PostAsync("/v1/chat/completions", stream: true, new { messages = User("Tell me a story."), max_tokens = MaxTokens, logprobs = true, top_logprobs = 2 });

        foreach (var chunk in chunks)
        {
            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                var content = choice.GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : null;
                var carries = choice.TryGetProperty("logprobs", out var logprobs);
                var isRoleOrEnd = choice.GetProperty("delta").TryGetProperty("role", out _) || choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String;
                Assert.True(carries != isRoleOrEnd, chunk.ToString());
                Assert.True(!carries || content is not null, chunk.ToString());
                Assert.True(!carries || logprobs.GetProperty("content").ValueKind == JsonValueKind.Array, chunk.ToString());
            }
        }
    }

    /// <summary>The tokens' bytes spell the text; beyond it, only a character cut short by the token limit may remain.</summary>
    private static void AssertSpell(string text, IReadOnlyList<Entry> entries, string what)
    {
        var bytes = entries.SelectMany(entry => entry.Bytes).ToArray();
        var expected = Encoding.UTF8.GetBytes(text);
        Assert.True(bytes.AsSpan().StartsWith(expected), $"{what}: the tokens spell '{Encoding.UTF8.GetString(bytes)}'");
        var rest = bytes.AsSpan(expected.Length);
        Assert.True(rest.Length == 0 || (rest.Length < 4 && Encoding.UTF8.GetCharCount(rest) == 1 && rest[0] >= 0xC0),
            $"{what}: the tokens spell more than the text: {Convert.ToHexString(rest)}");
    }

    private static void AssertDescending(IReadOnlyList<Top> tops, string what)
    {
        for (var i = 1; i < tops.Count; i++)
        {
            Assert.True(tops[i].Logprob <= tops[i - 1].Logprob, $"{what}: top_logprobs out of order at {i}");
        }

        Assert.All(tops, top => Assert.True(top.Logprob <= 0, $"{what}: {top.Token} {top.Logprob}"));
    }

    private sealed record Top(string Token, float Logprob, byte[] Bytes);

    private sealed record Entry(string Token, float Logprob, byte[] Bytes, IReadOnlyList<Top> Top)
    {
        public override string ToString() => $"'{Token}' {Logprob}";
    }

    private sealed record ChatReply(string Text, int CompletionTokens, IReadOnlyList<Entry> Entries);

    private sealed record TextReply(string Text, int CompletionTokens, List<string> Tokens, List<float> TokenLogprobs, List<Dictionary<string, float>> TopLogprobs, List<int> TextOffsets);

    private async Task<ChatReply> ChatWithLogprobsAsync(bool stream, object body)
    {
        var text = new StringBuilder();
        var entries = new List<Entry>();
        var completionTokens = -1;
        foreach (var chunk in await PostAsync("/v1/chat/completions", stream, body))
        {
            completionTokens = UsageOf(chunk) ?? completionTokens;
            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                var part = stream ? choice.GetProperty("delta") : choice.GetProperty("message");
                text.Append(part.TryGetProperty("content", out var content) ? content.GetString() : null);
                if (choice.TryGetProperty("logprobs", out var logprobs))
                {
                    entries.AddRange(logprobs.GetProperty("content").EnumerateArray().Select(entry => new Entry(
                        entry.GetProperty("token").GetString()!, entry.GetProperty("logprob").GetSingle(), BytesOf(entry),
                        entry.GetProperty("top_logprobs").EnumerateArray().Select(top => new Top(top.GetProperty("token").GetString()!, top.GetProperty("logprob").GetSingle(), BytesOf(top))).ToList())));
                }
            }
        }

        return new ChatReply(text.ToString(), completionTokens, entries);
    }

    private async Task<TextReply> CompleteWithLogprobsAsync(bool stream, object body)
    {
        var reply = new TextReply(string.Empty, -1, [], [], [], []);
        var text = new StringBuilder();
        var completionTokens = -1;
        foreach (var chunk in await PostAsync("/v1/completions", stream, body))
        {
            completionTokens = UsageOf(chunk) ?? completionTokens;
            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                text.Append(choice.GetProperty("text").GetString());
                if (choice.TryGetProperty("logprobs", out var logprobs))
                {
                    reply.Tokens.AddRange(logprobs.GetProperty("tokens").EnumerateArray().Select(token => token.GetString()!));
                    reply.TokenLogprobs.AddRange(logprobs.GetProperty("token_logprobs").EnumerateArray().Select(value => value.GetSingle()));
                    reply.TopLogprobs.AddRange(logprobs.GetProperty("top_logprobs").EnumerateArray()
                        .Select(top => top.EnumerateObject().ToDictionary(property => property.Name, property => property.Value.GetSingle(), StringComparer.Ordinal)));
                    reply.TextOffsets.AddRange(logprobs.GetProperty("text_offset").EnumerateArray().Select(value => value.GetInt32()));
                }
            }
        }

        return reply with { Text = text.ToString(), CompletionTokens = completionTokens };
    }

    /// <summary>The response (whole) or every chunk of the stream, after checking the call succeeded.</summary>
    private async Task<IReadOnlyList<JsonElement>> PostAsync(string path, bool stream, object body)
    {
        using var response = await Client.PostAsJsonAsync(path, WithUsage(body, stream));
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        if (!stream)
        {
            return [JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone()];
        }

        var lines = await OpeaStream.ReadDataLinesAsync(response);
        Assert.Equal("[DONE]", lines[^1]);
        return lines.SkipLast(1).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    /// <summary>The body with <c>stream</c> and (streamed) <c>stream_options.include_usage</c> set, as a JSON object.</summary>
    private static JsonElement WithUsage(object body, bool stream)
    {
        var node = JsonSerializer.SerializeToNode(body)!.AsObject();
        node["stream"] = stream;
        if (stream)
        {
            node["stream_options"] = new System.Text.Json.Nodes.JsonObject { ["include_usage"] = true };
        }

        return JsonSerializer.SerializeToElement(node);
    }

    private static int? UsageOf(JsonElement chunk) =>
        chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? usage.GetProperty("completion_tokens").GetInt32() : null;

    private static byte[] BytesOf(JsonElement entry) => entry.GetProperty("bytes").EnumerateArray().Select(value => (byte)value.GetInt32()).ToArray();
}
