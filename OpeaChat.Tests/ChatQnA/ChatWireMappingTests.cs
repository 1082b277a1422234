using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.Contracts.OpenAi;
using WireMessage = OpeaChat.Contracts.OpenAi.ChatMessage;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>
/// The gateway's inference client over Microsoft.Extensions.AI and the OpenAI SDK, against a scripted inference (an
/// HTTP handler that records each request and answers with the bytes a test gives): what goes on the wire, and how
/// answers, streams and failures come back in the contract's types.
/// </summary>
public sealed class ChatWireMappingTests
{
    private static readonly JsonElement WeatherSchema = JsonElement.Parse(
        """{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1}},"required":["city"]}""");

    [Fact]
    public async Task Extension_fields_sampling_and_tools_reach_inference_as_the_client_sent_them()
    {
        var inference = new ScriptedInference(_ => Json(CompletionJson));
        var request = new ChatCompletionRequest
        {
            Model = "stories260K",
            Messages =
            [
                WireMessage.Create("system", "Be brief."),
                WireMessage.Create("user", "Weather in Oslo?"),
                new WireMessage
                {
                    Role = "assistant",
                    ToolCalls = [new ToolCall { Id = "call_1", Function = new FunctionCall { Name = "weather", Arguments = """{ "city" : "Oslo" }""" } }],
                },
                new WireMessage { Role = "tool", ToolCallId = "call_1", Content = new MessageContent("""{"sky":"grey"}""") },
            ],
            MaxTokens = 17,
            Temperature = 0.5f,
            TopP = 0.9f,
            TopK = 7,
            MinP = 0.05f,
            RepeatPenalty = 1.1f,
            Seed = 42,
            Stop = new StopSequences(["\n\n", "END"]),
            CachePrompt = false,
            IgnoreEos = true,
            Grammar = "root ::= \"yes\" | \"no\"",
            Logprobs = true,
            TopLogprobs = 3,
            User = "tester",
            Tools = [ChatTool.ForFunction("weather", "The weather of a city.", WeatherSchema)],
            ToolChoice = new ToolChoice(ToolChoice.Function, "weather"),
            ParallelToolCalls = false,
            ResponseFormat = new ResponseFormat { Type = "json_schema", JsonSchema = new JsonSchemaFormat { Name = "answer", Schema = WeatherSchema } },
            ConversationId = Guid.NewGuid(),
            UseDocuments = true,
            K = 3,
        };

        await inference.Client.CompleteAsync(request, CancellationToken.None);

        var (sent, body) = Assert.Single(inference.Requests);
        Assert.Equal("/v1/chat/completions", sent.RequestUri!.AbsolutePath);
        Assert.Null(sent.Headers.Authorization); // the SDK's placeholder key is dropped; the key handler adds the real one
        Assert.Equal("stories260K", body.GetProperty("model").GetString());
        Assert.Equal(17, body.GetProperty("max_tokens").GetInt32()); // under the name the client used
        Assert.False(body.TryGetProperty("max_completion_tokens", out _));
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble(), 3);
        Assert.Equal(7, body.GetProperty("top_k").GetInt32());
        Assert.Equal(0.05, body.GetProperty("min_p").GetDouble(), 3);
        Assert.Equal(1.1, body.GetProperty("repeat_penalty").GetDouble(), 3);
        Assert.Equal(42, body.GetProperty("seed").GetInt64());
        Assert.Equal(["\n\n", "END"], body.GetProperty("stop").EnumerateArray().Select(stop => stop.GetString()));
        Assert.False(body.GetProperty("cache_prompt").GetBoolean());
        Assert.True(body.GetProperty("ignore_eos").GetBoolean());
        Assert.Equal(request.Grammar, body.GetProperty("grammar").GetString());
        Assert.True(body.GetProperty("logprobs").GetBoolean());
        Assert.Equal(3, body.GetProperty("top_logprobs").GetInt32());
        Assert.Equal("tester", body.GetProperty("user").GetString());
        Assert.False(body.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.False(body.TryGetProperty("stream", out _));

        // Schemas exactly as sent: M.E.AI alone would add additionalProperties:false and more.
        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal("weather", tool.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(WeatherSchema.GetRawText(), tool.GetProperty("function").GetProperty("parameters").GetRawText());
        Assert.Equal("weather", body.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(WeatherSchema.GetRawText(), body.GetProperty("response_format").GetProperty("json_schema").GetProperty("schema").GetRawText());

        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "user", "assistant", "tool"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("Weather in Oslo?", messages[1].GetProperty("content").GetString());
        var call = Assert.Single(messages[2].GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_1", call.GetProperty("id").GetString());
        Assert.Equal("""{ "city" : "Oslo" }""", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("call_1", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Equal("""{"sky":"grey"}""", messages[3].GetProperty("content").GetString());

        // The gateway's own fields never go further.
        foreach (var field in new[] { "conversation_id", "use_documents", "k" })
        {
            Assert.False(body.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task A_request_without_a_model_sends_none_and_odd_messages_go_as_sent()
    {
        var inference = new ScriptedInference(_ => Json(CompletionJson));

        await inference.Client.CompleteAsync(new ChatCompletionRequest
        {
            Messages = [WireMessage.Create("user", "Hi"), WireMessage.Create("narrator", "Once")],
            ToolChoice = new ToolChoice(ToolChoice.Required),
            MaxCompletionTokens = 5,
        }, CancellationToken.None);

        var (_, body) = Assert.Single(inference.Requests);
        Assert.False(body.TryGetProperty("model", out _));
        Assert.False(body.TryGetProperty("max_tokens", out _));
        Assert.Equal(5, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(body.TryGetProperty("parallel_tool_calls", out _));
        Assert.Equal("required", body.GetProperty("tool_choice").GetString());
        // M.E.AI would drop a role it does not know; inference must see it to refuse it.
        Assert.Equal(["user", "narrator"], body.GetProperty("messages").EnumerateArray().Select(message => message.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task A_tool_call_without_its_arguments_goes_as_sent_for_inference_to_refuse()
    {
        var inference = new ScriptedInference(_ => Json(CompletionJson));

        await inference.Client.CompleteAsync(new ChatCompletionRequest
        {
            Messages =
            [
                WireMessage.Create("user", "Weather?"),
                new WireMessage { Role = "assistant", ToolCalls = [new ToolCall { Id = "call_1", Function = new FunctionCall { Name = "weather" } }] },
                new WireMessage { Role = "tool", ToolCallId = "call_1", Content = new MessageContent("sunny") },
            ],
        }, CancellationToken.None);

        var (_, body) = Assert.Single(inference.Requests);
        var call = Assert.Single(body.GetProperty("messages")[1].GetProperty("tool_calls").EnumerateArray());
        Assert.False(call.GetProperty("function").TryGetProperty("arguments", out _));
    }

    [Fact]
    public async Task A_whole_answer_keeps_tool_calls_usage_cached_tokens_and_logprobs()
    {
        var inference = new ScriptedInference(_ => Json("""
            {"id":"chatcmpl-7","object":"chat.completion","created":1700000000,"model":"stories260K",
             "choices":[{"index":0,"message":{"role":"assistant","content":null,
               "tool_calls":[{"id":"call_a","type":"function","function":{"name":"weather","arguments":"{\"city\": \"Oslo\"}"}}]},
               "finish_reason":"tool_calls",
               "logprobs":{"content":[{"token":"{","logprob":-0.25,"bytes":[123],"top_logprobs":[{"token":"{","logprob":-0.25,"bytes":[123]},{"token":" ","logprob":-2.5,"bytes":[32]}]}]}}],
             "usage":{"prompt_tokens":30,"completion_tokens":9,"total_tokens":39,"prompt_tokens_details":{"cached_tokens":12}}}
            """));

        var answer = await inference.Client.CompleteAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Weather?")] }, CancellationToken.None);

        Assert.Equal("chatcmpl-7", answer.Id);
        Assert.Equal(1700000000, answer.Created);
        Assert.Equal("stories260K", answer.Model);
        var choice = Assert.Single(answer.Choices);
        Assert.Equal(FinishReasons.ToolCalls, choice.FinishReason);
        Assert.Null(choice.Message.Content);
        var call = Assert.Single(choice.Message.ToolCalls!);
        Assert.Equal("call_a", call.Id);
        Assert.Equal("weather", call.Function!.Name);
        Assert.Equal("""{"city": "Oslo"}""", call.Function.Arguments);
        Assert.Equal(30, answer.Usage.PromptTokens);
        Assert.Equal(9, answer.Usage.CompletionTokens);
        Assert.Equal(39, answer.Usage.TotalTokens);
        Assert.Equal(12, answer.Usage.PromptTokensDetails!.CachedTokens);
        var token = Assert.Single(choice.Logprobs!.Content!);
        Assert.Equal("{", token.Token);
        Assert.Equal(-0.25f, token.Logprob);
        Assert.Equal([123], token.Bytes!);
        Assert.Equal(["{", " "], token.TopLogprobs.Select(top => top.Token));
    }

    [Fact]
    public async Task A_stream_relays_every_event_with_tool_call_fragments_and_the_usage_chunk()
    {
        string[] events =
        [
            """{"id":"c1","object":"chat.completion.chunk","created":1700000001,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""",
            """{"id":"c1","object":"chat.completion.chunk","created":1700000001,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"weather","arguments":""}}]},"finish_reason":null}]}""",
            """{"id":"c1","object":"chat.completion.chunk","created":1700000001,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}""",
            """{"id":"c1","object":"chat.completion.chunk","created":1700000001,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]},"finish_reason":null}]}""",
            """{"id":"c1","object":"chat.completion.chunk","created":1700000001,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"id":"c1","object":"chat.completion.chunk","created":1700000001,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":4}}}""",
        ];
        var inference = new ScriptedInference(_ => Sse([.. events, ChatCompletionStream.Done]));

        var chunks = await ReadAllAsync(inference.Client.StreamAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Weather?")] }, CancellationToken.None));

        Assert.Equal(events.Length, chunks.Count); // no extra chunk for M.E.AI's gathered calls
        Assert.All(chunks, chunk => Assert.Equal(("c1", 1700000001L, "m"), (chunk.Id, chunk.Created, chunk.Model)));
        Assert.Equal("assistant", chunks[0].Choices[0].Delta.Role);
        var first = Assert.Single(chunks[1].Choices[0].Delta.ToolCalls!);
        Assert.Equal((0, "call_x", "weather"), (first.Index, first.Id, first.Function!.Name));
        var fragments = chunks.Skip(1).Take(3).SelectMany(chunk => chunk.Choices[0].Delta.ToolCalls!).ToList();
        Assert.All(fragments, fragment => Assert.Equal(0, fragment.Index));
        Assert.Equal("""{"city":"Oslo"}""", string.Concat(fragments.Select(fragment => fragment.Function?.Arguments)));
        Assert.Null(chunks[2].Choices[0].Delta.ToolCalls![0].Id);
        Assert.Equal(FinishReasons.ToolCalls, chunks[4].Choices[0].FinishReason);
        Assert.Empty(chunks[5].Choices);
        Assert.Equal((5, 8, 13, 4), (chunks[5].Usage!.PromptTokens, chunks[5].Usage!.CompletionTokens, chunks[5].Usage!.TotalTokens, chunks[5].Usage!.PromptTokensDetails!.CachedTokens));

        var (_, body) = Assert.Single(inference.Requests);
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task A_streamed_token_keeps_its_logprobs()
    {
        var inference = new ScriptedInference(_ => Sse(
            """{"id":"c2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Once"},"logprobs":{"content":[{"token":"Once","logprob":-0.5,"bytes":[79,110,99,101],"top_logprobs":[{"token":"Once","logprob":-0.5,"bytes":[79,110,99,101]}]}]},"finish_reason":null}]}""",
            ChatCompletionStream.Done));

        var chunk = Assert.Single(await ReadAllAsync(inference.Client.StreamAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")], Logprobs = true, TopLogprobs = 1 }, CancellationToken.None)));

        Assert.Equal("Once", chunk.Choices[0].Delta.Content);
        var token = Assert.Single(chunk.Choices[0].Logprobs!.Content!);
        Assert.Equal(("Once", -0.5f), (token.Token, token.Logprob));
        Assert.Equal([79, 110, 99, 101], token.Bytes!);
        Assert.Equal("Once", Assert.Single(token.TopLogprobs).Token);
    }

    [Fact]
    public async Task An_error_event_part_way_ends_the_stream_with_its_message_and_code()
    {
        var inference = new ScriptedInference(_ => Sse(
            """{"id":"c3","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Once"},"finish_reason":null}]}""",
            """{"error":{"message":"The decode loop failed.","type":"server_error","code":"generation_failed"}}"""));

        var chunks = new List<ChatCompletionChunk>();
        var failure = await Assert.ThrowsAsync<InferenceException>(async () =>
        {
            await foreach (var chunk in inference.Client.StreamAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] }, CancellationToken.None))
            {
                chunks.Add(chunk);
            }
        });

        Assert.Equal("Once", Assert.Single(chunks).Choices[0].Delta.Content);
        Assert.Equal(HttpStatusCode.BadGateway, failure.StatusCode);
        Assert.Equal("The decode loop failed.", failure.Message);
        Assert.Equal("generation_failed", failure.Code);
    }

    [Fact]
    public async Task A_stream_cut_before_done_is_a_broken_reply()
    {
        var inference = new ScriptedInference(_ => Sse(
            """{"id":"c4","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Once"},"finish_reason":null}]}"""));

        var failure = await Assert.ThrowsAsync<InferenceException>(() => ReadAllAsync(
            inference.Client.StreamAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] }, CancellationToken.None)));

        Assert.Equal(HttpStatusCode.BadGateway, failure.StatusCode);
        Assert.Equal("inference_stream_broken", failure.Code);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_refusal_keeps_its_status_code_param_context_figures_and_retry_after(bool stream)
    {
        var inference = new ScriptedInference(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("""
                    {"error":{"message":"The prompt is 900 tokens; the context holds 512.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded","n_prompt_tokens":900,"n_ctx":512}}
                    """, Encoding.UTF8, "application/json"),
            };
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3));
            return response;
        });
        var request = new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] };

        var failure = await Assert.ThrowsAsync<InferenceException>(() => stream
            ? ReadAllAsync(inference.Client.StreamAsync(request, CancellationToken.None))
            : inference.Client.CompleteAsync(request, CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, failure.StatusCode);
        Assert.Equal("The prompt is 900 tokens; the context holds 512.", failure.Message);
        Assert.Equal(("context_length_exceeded", "messages"), (failure.Code, failure.Param));
        Assert.Equal((900, 512), failure.ContextOverflow);
        Assert.Equal(TimeSpan.FromSeconds(3), failure.RetryAfter);
    }

    [Fact]
    public async Task A_body_that_is_not_an_openai_error_still_gives_the_status()
    {
        var inference = new ScriptedInference(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
        {
            Content = new StringContent("<html>down</html>", Encoding.UTF8, "text/html"),
        });

        var failure = await Assert.ThrowsAsync<InferenceException>(() =>
            inference.Client.CompleteAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] }, CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failure.StatusCode);
        Assert.Contains("503", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_unreachable_inference_is_503_inference_unreachable(bool stream)
    {
        var inference = new ScriptedInference(_ => throw new HttpRequestException("Connection refused"));
        var request = new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] };

        var failure = await Assert.ThrowsAsync<InferenceException>(() => stream
            ? ReadAllAsync(inference.Client.StreamAsync(request, CancellationToken.None))
            : inference.Client.CompleteAsync(request, CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failure.StatusCode);
        Assert.Equal("inference_unreachable", failure.Code);
        Assert.NotNull(failure.RetryAfter);
    }

    [Fact]
    public async Task A_silent_stream_whose_service_fails_its_liveness_check_is_a_broken_reply()
    {
        var silent = new SilentStream();
        var inference = new ScriptedInference(request => request.RequestUri!.AbsolutePath == "/alive"
            ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(silent) });

        var failure = await Assert.ThrowsAsync<InferenceException>(() => ReadAllAsync(
            inference.Client.StreamAsync(new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] }, CancellationToken.None)));

        Assert.Equal(HttpStatusCode.BadGateway, failure.StatusCode);
        Assert.Equal("inference_stream_broken", failure.Code);
        Assert.Contains("503", failure.Message, StringComparison.Ordinal);
        Assert.Contains(inference.Requests, sent => sent.Request.RequestUri!.AbsolutePath == "/alive");
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, false)]
    [InlineData(HttpStatusCode.OK, true)]
    [InlineData(HttpStatusCode.TooManyRequests, false)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    public async Task Every_answer_lets_its_http_response_go(HttpStatusCode status, bool stream)
    {
        // The balancer counts a replica's request as open until its response is disposed.
        var bodies = new List<TrackedContent>();
        var inference = new ScriptedInference(_ =>
        {
            var body = new TrackedContent(status != HttpStatusCode.OK
                ? """{"error":{"message":"Busy.","type":"server_error","code":"queue_full"}}"""
                : stream ? "data: " + CompletionChunkJson + "\n\ndata: [DONE]\n\n" : CompletionJson);
            bodies.Add(body);
            return new HttpResponseMessage(status) { Content = body };
        });
        var request = new ChatCompletionRequest { Messages = [WireMessage.Create("user", "Go")] };

        try
        {
            if (stream)
            {
                await ReadAllAsync(inference.Client.StreamAsync(request, CancellationToken.None));
            }
            else
            {
                await inference.Client.CompleteAsync(request, CancellationToken.None);
            }

            Assert.Equal(HttpStatusCode.OK, status);
        }
        catch (InferenceException failure)
        {
            Assert.Equal(status, failure.StatusCode);
        }

        Assert.True(Assert.Single(bodies).Disposed);
    }

    [Fact]
    public void Tool_choices_map_to_tool_modes()
    {
        Assert.Equal(ChatToolMode.Auto, ChatWireMapping.ToToolMode(new ToolChoice(ToolChoice.Auto)));
        Assert.Equal(ChatToolMode.None, ChatWireMapping.ToToolMode(new ToolChoice(ToolChoice.None)));
        Assert.Equal(ChatToolMode.RequireAny, ChatWireMapping.ToToolMode(new ToolChoice(ToolChoice.Required)));
        var specific = Assert.IsType<RequiredChatToolMode>(ChatWireMapping.ToToolMode(new ToolChoice(ToolChoice.Function, "weather")));
        Assert.Equal("weather", specific.RequiredFunctionName);
        Assert.Null(ChatWireMapping.ToToolMode(null));
    }

    [Fact]
    public void Options_carry_what_microsoft_extensions_ai_has_names_for()
    {
        var options = ChatWireMapping.ToChatOptions(new ChatCompletionRequest
        {
            Model = "m",
            MaxCompletionTokens = 9,
            MaxTokens = 99,
            TopK = 4,
            Stop = new StopSequences(["x"]),
            ParallelToolCalls = true,
            Tools = [ChatTool.ForFunction("weather", "The weather.", WeatherSchema)],
            ResponseFormat = new ResponseFormat { Type = "json_object" },
        });

        Assert.Equal(("m", 9, 4), (options.ModelId, options.MaxOutputTokens, options.TopK));
        Assert.Equal(["x"], options.StopSequences!);
        Assert.True(options.AllowMultipleToolCalls);
        Assert.IsType<ChatResponseFormatJson>(options.ResponseFormat);
        var declaration = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(options.Tools!));
        Assert.Equal("weather", declaration.Name);
        Assert.Equal(WeatherSchema.GetRawText(), declaration.JsonSchema.GetRawText());
        // A tool M.E.AI cannot declare (no name) is left to inference to refuse.
        Assert.Null(ChatWireMapping.ToDeclarations([new ChatTool { Type = "function", Function = new FunctionDefinition() }]));
    }

    private const string CompletionJson = """
        {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"stories260K",
         "choices":[{"index":0,"message":{"role":"assistant","content":"yes"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}
        """;

    private const string CompletionChunkJson =
        """{"id":"c0","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"yes"},"finish_reason":"stop"}]}""";

    private sealed class TrackedContent(string text) : StringContent(text, Encoding.UTF8, "application/json")
    {
        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }

    private static HttpResponseMessage Json(string json) =>
        new(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Sse(params string[] data) =>
        new(HttpStatusCode.OK)
        {
            Content = new StringContent(string.Concat(data.Select(item => $"data: {item}\n\n")), Encoding.UTF8, "text/event-stream"),
        };

    private static async Task<List<ChatCompletionChunk>> ReadAllAsync(IAsyncEnumerable<ChatCompletionChunk> chunks)
    {
        var all = new List<ChatCompletionChunk>();
        await foreach (var chunk in chunks)
        {
            all.Add(chunk);
        }

        return all;
    }

    /// <summary>An inference that answers each request with what the test's function returns, and keeps the requests.</summary>
    private sealed class ScriptedInference : HttpMessageHandler
    {
        private readonly Func<HttpRequestMessage, HttpResponseMessage> _answer;

        public ScriptedInference(Func<HttpRequestMessage, HttpResponseMessage> answer)
        {
            _answer = answer;
            var http = new HttpClient(this) { BaseAddress = new Uri("http://inference.test/") };
            Client = new InferenceClient(http, InferenceChatClient.Create(this, http.BaseAddress));
        }

        public InferenceClient Client { get; }

        public List<(HttpRequestMessage Request, JsonElement Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? default : JsonElement.Parse(await request.Content.ReadAsStringAsync(cancellationToken));
            lock (Requests)
            {
                Requests.Add((request, body));
            }

            var response = _answer(request);
            response.RequestMessage = request;
            return response;
        }
    }

    /// <summary>A body that sends nothing until it is cancelled, like a dead service behind a proxy that keeps the connection.</summary>
    private sealed class SilentStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
