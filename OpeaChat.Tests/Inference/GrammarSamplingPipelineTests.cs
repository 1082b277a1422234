extern alias JsonEverything;

using System.Text;
using System.Text.Json;
using JsonEverything::Json.Schema;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Engine;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// The grammar-held sampler on the real model, driven token by token: each of its three ways to pick (the free pick
/// allowed, allowed tokens worked out ahead, the grammar over the whole vocabulary) is taken, and every reply follows
/// the schema.
/// </summary>
public sealed class GrammarSamplingPipelineTests
{
    private const string SchemaText = """
        {"type":"object","properties":{
          "name":{"type":"string","minLength":1,"maxLength":10},
          "legs":{"type":"integer"},
          "kind":{"enum":["fox","bird","fish"]},
          "friends":{"type":"array","minItems":1,"maxItems":3,"items":{"type":"string","maxLength":6}}},
         "required":["name","legs","kind","friends"],"additionalProperties":false}
        """;

    [Fact]
    public async Task Every_reply_follows_the_schema_and_each_way_of_picking_is_used()
    {
        var gbnf = JsonSchemaGrammar.FromSchema(JsonDocument.Parse(SchemaText).RootElement).Gbnf!;
        var validator = JsonSchema.FromText(SchemaText);
        var parameters = new ModelParams(TestModel.Path) { ContextSize = 1024 };
        using var weights = await LLamaWeights.LoadFromFileAsync(parameters, CancellationToken.None);
        var totals = (Free: 0, Ahead: 0, Whole: 0);
        for (uint seed = 1; seed <= 12; seed++)
        {
            using var executor = new BatchedExecutor(weights, parameters);
            using var conversation = executor.Create();
            conversation.Prompt(weights.Tokenize("Once upon a time there was a fox.", add_bos: true, special: true, Encoding.UTF8));
            using var pipeline = new GrammarSamplingPipeline(new SamplingSettings { Seed = seed, Temperature = 0.9f }, gbnf);
            var decoder = new StreamingTokenDecoder(executor.Context);
            var ended = false;
            for (var step = 0; step < 400 && !ended; step++)
            {
                Assert.Equal(DecodeResult.Ok, await executor.Infer());
                var token = conversation.Sample(pipeline);
                ended = token.IsEndOfGeneration(weights.Vocab);
                if (!ended)
                {
                    decoder.Add(token);
                    conversation.Prompt(token);
                }
            }

            var reply = decoder.Read();
            Assert.True(ended, $"seed {seed}: the grammar did not end the reply: {reply}");
            using var answer = JsonDocument.Parse(reply);
            Assert.True(validator.Evaluate(answer.RootElement).IsValid, $"seed {seed}: {reply}");
            totals = (totals.Free + pipeline.Picks.Free, totals.Ahead + pipeline.Picks.Ahead, totals.Whole + pipeline.Picks.Whole);
        }

        // The tiny model rarely writes JSON by itself, so the grammar overrules it often: all three ways occur.
        Assert.True(totals.Free > 0, $"{totals}");
        Assert.True(totals.Ahead > 0, $"{totals}");
        Assert.True(totals.Whole > 0, $"{totals}");
    }
}
