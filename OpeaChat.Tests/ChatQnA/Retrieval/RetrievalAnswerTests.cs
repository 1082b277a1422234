using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Retrieval;

/// <summary>A real inference server (its embeddings), for the retrieval tests' gateways.</summary>
public sealed class RetrievalInferenceFixture : IAsyncLifetime
{
    public InferenceHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = InferenceHost.Start();
        await Host.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers from documents on both doors, over real HTTP, with real embeddings from the test model and the real
/// SQLite store: sources first, stored with the reply, plain chat when there is nothing to retrieve.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class RetrievalAnswerTests(RetrievalInferenceFixture inference) : IClassFixture<RetrievalInferenceFixture>
{
    private static readonly string[] s_facts =
    [
        "The lighthouse keeper Marguerite paints every door of Vellmar harbour turquoise in spring.",
        "Zebra crossings in the town of Quillby are striped orange and purple since 1987.",
        "The bakery on Fennick Street sells cardamom buns only on rainy Thursdays.",
    ];

    [Fact]
    public async Task A_streamed_answer_sends_its_sources_first_and_the_conversation_keeps_them()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var index = await IngestFactsAsync(gateway);
        var conversation = await CreateConversationAsync(gateway);

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new
        {
            messages = "Which colours are the zebra crossings of Quillby?",
            conversation_id = conversation,
            index_name = index,
            k = 2,
            max_tokens = 8,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await ReadEventsAsync(response);

        Assert.Equal("sources", events[0].EventType);
        var sources = JsonSerializer.Deserialize(events[0].Data, RetrievalJsonContext.Default.IReadOnlyListRetrievedSource)!;
        Assert.InRange(sources.Count, 1, 2);
        Assert.Equal("quillby.txt", sources[0].Document);
        Assert.Contains("orange and purple", sources[0].Text, StringComparison.Ordinal);
        Assert.Equal(index, sources[0].IndexName);
        Assert.All(events.Skip(1).SkipLast(1), item => Assert.Matches(OpeaStream.BytesLiteral(), item.Data));
        Assert.Equal("[DONE]", events[^1].Data);

        using var messages = await gateway.Client.GetAsync($"/v1/conversations/{conversation}/messages");
        var stored = JsonDocument.Parse(await messages.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        var reply = stored[stored.GetArrayLength() - 1];
        Assert.Equal("assistant", reply.GetProperty("role").GetString());
        Assert.Equal(sources.Select(source => source.Id), reply.GetProperty("sources").EnumerateArray().Select(source => source.GetProperty("id").GetString()));
        // The stored question is what the person asked, not the RAG prompt around it.
        Assert.Equal("Which colours are the zebra crossings of Quillby?", stored[stored.GetArrayLength() - 2].GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_retrieved_chunks_reach_the_model_and_a_whole_answer_lists_them()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var index = await IngestFactsAsync(gateway);
        var question = "When does the Fennick Street bakery sell cardamom buns?";

        var withDocuments = await AskWholeAsync(gateway, new { messages = question, index_name = index, max_tokens = 2, stream = false });
        var without = await AskWholeAsync(gateway, new { messages = question, index_name = index, use_documents = false, max_tokens = 2, stream = false });

        var sources = withDocuments.GetProperty("sources");
        Assert.Equal("fennick.txt", sources[0].GetProperty("document").GetString());
        Assert.False(without.TryGetProperty("sources", out _));
        // The RAG template around the question, with the chunks in it, is what the model read.
        Assert.True(withDocuments.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > without.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() + 20);
    }

    [Fact]
    public async Task With_nothing_to_retrieve_the_opea_stream_is_plain_chat()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var index = await IngestFactsAsync(gateway);

        using var empty = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", index_name = "empty-" + Guid.NewGuid().ToString("N")[..8], max_tokens = 4 });
        using var cut = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new
        {
            messages = "Once upon a time", index_name = index, search_type = "similarity_score_threshold", score_threshold = 1.0, max_tokens = 4,
        });

        foreach (var response in new[] { empty, cut })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.StartsWith("data: b", body, StringComparison.Ordinal);
            Assert.DoesNotContain("event: sources", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_openai_door_retrieves_when_asked_and_puts_the_sources_on_the_first_chunk()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var index = await IngestFactsAsync(gateway);
        object Request(bool? useDocuments) => new
        {
            messages = new[] { new { role = "user", content = "What colour does Marguerite paint the harbour doors of Vellmar?" } },
            use_documents = useDocuments,
            index_name = index,
            max_tokens = 4,
            stream = true,
        };

        using var asked = await gateway.Client.PostAsJsonAsync("/v1/chat/completions", Request(true));
        using var notAsked = await gateway.Client.PostAsJsonAsync("/v1/chat/completions", Request(null));
        var chunks = (await ReadEventsAsync(asked)).Select(item => item.Data).Where(data => data != "[DONE]").Select(data => JsonDocument.Parse(data).RootElement).ToList();
        var plain = await ReadEventsAsync(notAsked);

        Assert.Equal("vellmar.txt", chunks[0].GetProperty("sources")[0].GetProperty("document").GetString());
        Assert.All(chunks.Skip(1), chunk => Assert.False(chunk.TryGetProperty("sources", out _)));
        Assert.DoesNotContain(plain, item => item.Data.Contains("\"sources\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("k", 0)]
    [InlineData("search_type", "fuzzy")]
    [InlineData("index_name", "all")]
    [InlineData("score_threshold", 2)]
    public async Task A_retrieval_field_that_does_not_fit_is_refused_and_nothing_is_stored(string field, object value)
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var conversation = await CreateConversationAsync(gateway);
        var body = new Dictionary<string, object> { ["messages"] = "Hello", ["conversation_id"] = conversation, [field] = value };

        using var opea = await gateway.Client.PostAsJsonAsync("/v1/chatqna", body);
        body["messages"] = new[] { new { role = "user", content = "Hello" } };
        using var openAi = await gateway.Client.PostAsJsonAsync("/v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, opea.StatusCode);
        var detail = JsonDocument.Parse(await opea.Content.ReadAsStringAsync()).RootElement.GetProperty("detail")[0];
        Assert.Equal(field, detail.GetProperty("loc")[1].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, openAi.StatusCode);
        Assert.Equal(field, JsonDocument.Parse(await openAi.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString());
        using var messages = await gateway.Client.GetAsync($"/v1/conversations/{conversation}/messages");
        Assert.Equal(0, JsonDocument.Parse(await messages.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_conversation_answers_from_its_own_collection_once_its_settings_say_so()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var index = await IngestFactsAsync(gateway);
        using var created = await gateway.Client.PostAsJsonAsync("/v1/conversations", new { title = "Docs", use_documents = true, index_name = index });
        var conversation = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.True(conversation.GetProperty("use_documents").GetBoolean());
        Assert.Equal(index, conversation.GetProperty("index_name").GetString());

        // The web's door: OpenAI's, with the conversation's settings deciding.
        using var response = await gateway.Client.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Which colours are the zebra crossings of Quillby?" } },
            conversation_id = conversation.GetProperty("id").GetGuid(),
            max_tokens = 4,
        });

        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("quillby.txt", answer.GetProperty("sources")[0].GetProperty("document").GetString());
    }

    [Fact]
    public async Task One_question_is_one_trace_through_retrieve_its_two_searches_the_prompt_and_generate()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        var index = await IngestFactsAsync(gateway);
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            // ASP.NET Core's too: the request's server span is the question's root.
            ShouldListenTo = source => source.Name is RetrievalTelemetry.SourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        var answer = await AskWholeAsync(gateway, new { messages = "Which colours are the zebra crossings of Quillby?", index_name = index, max_tokens = 2, stream = false });

        List<Activity> seen;
        lock (spans)
        {
            seen = spans.Where(span => span.GetTagItem("index_name") as string == index || span.Parent?.GetTagItem("index_name") as string == index).ToList();
        }

        var retrieve = Assert.Single(seen, span => span.OperationName == "retrieve");
        Assert.Contains(seen, span => span.OperationName == "retrieve.bm25" && span.ParentSpanId == retrieve.SpanId);
        Assert.Contains(seen, span => span.OperationName == "retrieve.vector" && span.ParentSpanId == retrieve.SpanId);
        Assert.Equal(3, retrieve.GetTagItem("chunks_searched"));
        List<Activity> trace;
        lock (spans)
        {
            trace = spans.Where(span => span.TraceId == retrieve.TraceId).ToList();
        }

        var root = Assert.Single(trace, span => span.SpanId == retrieve.ParentSpanId);
        Assert.Equal((ActivityKind.Server, "/v1/chatqna"), (root.Kind, root.GetTagItem("url.path") as string));
        var prompt = Assert.Single(trace, span => span.OperationName == "prompt");
        var generate = Assert.Single(trace, span => span.OperationName == "generate");
        Assert.Equal([root.SpanId, root.SpanId], new[] { prompt.ParentSpanId, generate.ParentSpanId });
        // Generation follows the prompt it was given, and is what the answer's usage counted.
        Assert.True(generate.StartTimeUtc >= prompt.StartTimeUtc + prompt.Duration, "generate started before the prompt was built");
        Assert.Equal((ActivityStatusCode.Unset, "complete", false), (generate.Status, generate.GetTagItem("outcome"), generate.GetTagItem("stream")));
        Assert.Equal(answer.GetProperty("model").GetString(), generate.GetTagItem("gen_ai.response.model"));
        Assert.Equal(answer.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), generate.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(answer.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), generate.GetTagItem("gen_ai.usage.output_tokens"));
    }

    /// <summary>Three documents with one fact each, ingested straight into the gateway's store with inference's embeddings.</summary>
    private static async Task<string> IngestFactsAsync(GatewayHost gateway)
    {
        var index = "facts-" + Guid.NewGuid().ToString("N")[..8];
        var store = gateway.Services.GetRequiredService<IDocumentStore>();
        var embeddings = gateway.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        foreach (var (name, fact) in new[] { ("vellmar.txt", s_facts[0]), ("quillby.txt", s_facts[1]), ("fennick.txt", s_facts[2]) })
        {
            var document = await store.AddAsync(new NewDocument(name, DocumentTypes.File, index, fact.Length, "txt"), CancellationToken.None);
            var vector = (await embeddings.GenerateAsync([fact])).Single().Vector.ToArray();
            await store.CompleteAsync(document.Id, [new NewChunk(0, fact, null, null, vector)], CancellationToken.None);
        }

        return index;
    }

    private static async Task<Guid> CreateConversationAsync(GatewayHost gateway)
    {
        using var created = await gateway.Client.PostAsJsonAsync("/v1/conversations", new { title = "Retrieval" });
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<JsonElement> AskWholeAsync(GatewayHost gateway, object body)
    {
        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<List<SseItem<string>>> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            events.Add(item);
        }

        return events;
    }
}
