extern alias JsonEverything;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JsonEverything::Json.Schema;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// Structured outputs end to end: the real tiny model, over HTTP, under many seeds; every answer must parse and validate
/// against its schema with an independent validator (JsonSchema.Net). The schemas bound their strings and arrays, so a
/// grammar-held answer always closes well inside max_tokens and a cut answer is a failure, not an excuse.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class StructuredOutputTests(InferenceServerFixture server) : IClassFixture<InferenceServerFixture>
{
    private const int Seeds = 10;
    private const int MaxTokens = 600;

    private HttpClient Client => server.Host.Client;

    public static TheoryData<string, string> Schemas => new()
    {
        {
            "flat", """
            {"type":"object","properties":{"name":{"type":"string","maxLength":8},"mood":{"enum":["happy","sad","sleepy"]},
             "age":{"type":"integer"},"kind":{"const":"story"}},"required":["name","mood","age","kind"],"additionalProperties":false}
            """
        },
        {
            "nested", """
            {"type":"object","properties":{
              "pet":{"type":"object","properties":{"kind":{"enum":["cat","dog"]},"legs":{"type":"integer"}},"required":["kind","legs"],"additionalProperties":false},
              "owner":{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":6}},"required":["name"],"additionalProperties":false},
              "note":{"type":"string","maxLength":5}},
             "required":["pet","owner"],"additionalProperties":false}
            """
        },
        {
            "array of objects", """
            {"type":"object","properties":{"tasks":{"type":"array","minItems":1,"maxItems":3,
              "items":{"type":"object","properties":{"id":{"type":"integer"},"done":{"type":"boolean"}},"required":["id","done"],"additionalProperties":false}}},
             "required":["tasks"],"additionalProperties":false}
            """
        },
        {
            "anyOf", """
            {"type":"object","properties":{"answer":{"anyOf":[{"type":"integer"},{"type":"string","maxLength":6},{"type":"boolean"}]},
             "tags":{"type":"array","maxItems":2,"items":{"enum":["a","b"]}}},"required":["answer","tags"],"additionalProperties":false}
            """
        },
        {
            "ref and defs", """
            {"type":"object","$defs":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}},
             "properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"}},"required":["from","to"],"additionalProperties":false}
            """
        },
        {
            "nullable", """
            {"type":"object","properties":{"title":{"type":["string","null"],"maxLength":6},"count":{"type":["integer","null"]},"ok":{"type":"boolean"}},
             "required":["title","count"],"additionalProperties":false}
            """
        },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public async Task Every_answer_follows_the_schema_streamed_and_not(string name, string schemaText)
    {
        var schema = JsonDocument.Parse(schemaText).RootElement.Clone();
        var validator = JsonSchema.FromText(schemaText);
        for (var seed = 1; seed <= Seeds; seed++)
        {
            foreach (var stream in new[] { false, true })
            {
                var body = new
                {
                    messages = User("Tell me about a cat as JSON."),
                    max_tokens = MaxTokens,
                    seed,
                    stream,
                    stream_options = stream ? new { include_usage = true } : null,
                    response_format = new { type = "json_schema", json_schema = new { name = "answer", strict = true, schema } },
                };
                var reply = stream ? await ChatStreamAsync(Client, body) : await ChatAsync(Client, body);

                var what = $"{name}, seed {seed}, {(stream ? "streamed" : "whole")}: {reply.Text}";
                Assert.True(reply.Status == 200, $"{what} {reply.Body}");
                Assert.True(reply.FinishReason == "stop", $"{what} ended with {reply.FinishReason}");
                using var answer = JsonDocument.Parse(reply.Text);
                var results = validator.Evaluate(answer.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
                Assert.True(results.IsValid, $"{what} does not follow the schema");
            }
        }
    }

    [Fact]
    public async Task Optional_members_are_sometimes_written_and_sometimes_left_out()
    {
        // Proof that the optional branch is real: over the seeds, the tiny model takes both ways at least once.
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"boolean"},"c":{"type":"boolean"}},"additionalProperties":false}
            """).RootElement.Clone();
        var counts = new List<int>();
        for (var seed = 1; seed <= 20; seed++)
        {
            var reply = await ChatAsync(Client, new
            {
                messages = User("JSON please."),
                max_tokens = 200,
                seed,
                temperature = 1.5,
                response_format = new { type = "json_schema", json_schema = new { name = "flags", schema } },
            });
            Assert.Equal("stop", reply.FinishReason);
            using var answer = JsonDocument.Parse(reply.Text);
            var names = answer.RootElement.EnumerateObject().Select(property => property.Name).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names); // declaration order
            counts.Add(names.Count);
        }

        Assert.True(counts.Distinct().Count() > 1, $"every answer had the same number of members: {string.Join(", ", counts)}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_raw_grammar_holds_the_output(bool stream)
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var body = new
            {
                messages = User("Is the cat happy?"),
                max_tokens = 20,
                seed,
                stream,
                stream_options = stream ? new { include_usage = true } : null,
                grammar = "root ::= \"yes\" | \"no\"",
            };
            var reply = stream ? await ChatStreamAsync(Client, body) : await ChatAsync(Client, body);

            Assert.Contains(reply.Text, new[] { "yes", "no" });
            Assert.Equal("stop", reply.FinishReason);
        }
    }

    [Fact]
    public async Task Text_completions_take_a_raw_grammar_too()
    {
        using var response = await Client.PostAsJsonAsync("/v1/completions", new { prompt = "The cat was", max_tokens = 20, seed = 4, grammar = "root ::= (\"big\" | \"small\") \".\"" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString(), new[] { "big.", "small." });
    }

    [Theory]
    [InlineData("root ::= (\"yes\"")]
    [InlineData("start ::= \"yes\"")]
    [InlineData("root ::= missing-rule")]
    public async Task Invalid_gbnf_is_a_400_naming_grammar_and_the_server_keeps_serving(string grammar)
    {
        var reply = await ChatAsync(Client, new { messages = User("Hi"), max_tokens = 5, grammar });

        Assert.Equal(400, reply.Status);
        Assert.Equal("grammar", reply.Body.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("invalid_grammar", reply.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(200, (await ChatAsync(Client, new { messages = User("Once"), max_tokens = 2 })).Status);
    }

    [Fact]
    public async Task An_unsupported_keyword_is_a_400_naming_the_schema_and_the_keyword_path()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"when":{"type":"string","format":"date-time"}}}""").RootElement.Clone();

        var reply = await ChatAsync(Client, new { messages = User("Hi"), response_format = new { type = "json_schema", json_schema = new { name = "x", schema } } });

        Assert.Equal(400, reply.Status);
        var error = reply.Body.GetProperty("error");
        Assert.Equal("response_format.json_schema.schema", error.GetProperty("param").GetString());
        Assert.Contains("#/properties/when/format", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
