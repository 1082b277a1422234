using System.Text;
using System.Text.Json;
using LLama;
using LLama.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Telemetry;
using OpeaChat.Inference.Tools;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference.Tools;

/// <summary>The tool grammars as llama.cpp reads them, and the lazy switch on the real model's decode loop.</summary>
public sealed class ToolCallGrammarTests
{
    private static readonly ChatTool[] s_tools =
    [
        ChatTool.ForFunction("get_weather", null, JsonDocument.Parse("""{"type":"object","$defs":{"u":{"enum":["c","f"]}},"properties":{"city":{"type":"string","maxLength":8},"unit":{"$ref":"#/$defs/u"}},"required":["city","unit"]}""").RootElement.Clone()),
        ChatTool.ForFunction("get_time", null, JsonDocument.Parse("""{"type":"object","$defs":{"u":{"type":"integer"}},"properties":{"zone":{"$ref":"#/$defs/u"}},"required":["zone"]}""").RootElement.Clone()),
        ChatTool.ForFunction("ping", null, null),
    ];

    public static TheoryData<string> Formats => ["hermes", "generic", "llama3", "mistral"];

    private static ToolCallFormat Format(string name) => new[] { ToolCallFormat.Hermes, ToolCallFormat.Generic, ToolCallFormat.Llama3, ToolCallFormat.Mistral }.Single(format => format.Name == name);

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Every_variant_parses_with_llama_cpp(string name)
    {
        var format = Format(name);
        using var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(TestModel.Path), CancellationToken.None);
        foreach (var parallel in new[] { false, true })
        {
            Assert.True(GbnfCheck.Parses(weights, ToolCallGrammar.ForCalls(format, s_tools, null, parallel).Gbnf!), $"{name} required, parallel {parallel}");
            Assert.True(GbnfCheck.Parses(weights, ToolCallGrammar.ForCalls(format, s_tools, "get_time", parallel).Gbnf!), $"{name} named");
            foreach (var remainder in new[] { string.Empty, "\n", "\n{\"name\": \"get_" })
            {
                if (ToolCallGrammar.AfterTrigger(format, s_tools, parallel, remainder) is { } after)
                {
                    Assert.True(GbnfCheck.Parses(weights, after), $"{name} after trigger + '{remainder}'");
                }
            }
        }
    }

    [Fact]
    public void Each_tool_resolves_its_own_defs_and_a_named_function_leaves_out_the_others()
    {
        var all = ToolCallGrammar.ForCalls(ToolCallFormat.Hermes, s_tools, null, parallel: false).Gbnf!;
        var named = ToolCallGrammar.ForCalls(ToolCallFormat.Hermes, s_tools, "get_time", parallel: false).Gbnf!;

        Assert.Contains("\"\\\"c\\\"\"", all, StringComparison.Ordinal); // get_weather's enum, from its own $defs
        Assert.Contains("get_time", named, StringComparison.Ordinal);
        Assert.DoesNotContain("get_weather", named, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remainder_that_cannot_start_a_call_gives_no_grammar()
    {
        Assert.NotNull(ToolCallGrammar.AfterTrigger(ToolCallFormat.Hermes, s_tools, false, "\n{\"name\": \"get_w"));
        Assert.Null(ToolCallGrammar.AfterTrigger(ToolCallFormat.Hermes, s_tools, false, " and then"));
        Assert.Null(ToolCallGrammar.AfterTrigger(ToolCallFormat.Hermes, s_tools, false, "\n{\"name\": \"nothing"));
    }

    [Fact]
    public void A_schema_the_grammar_cannot_enforce_names_its_tool()
    {
        ChatTool[] tools = [s_tools[0], ChatTool.ForFunction("bad", null, JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string","format":"email"}}}""").RootElement.Clone())];
        var (gbnf, error, failed) = ToolCallGrammar.ForCalls(ToolCallFormat.Hermes, tools, null, parallel: false);

        Assert.Null(gbnf);
        Assert.Equal(1, failed);
        Assert.Contains("format", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_decode_loop_switches_to_the_grammar_once_the_trigger_is_written()
    {
        // The tiny model writes " the" in nearly every story; once it has, the grammar must hold the rest exactly.
        using var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(TestModel.Path), CancellationToken.None);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new InferenceMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        await using var loop = new DecodeLoop("test", weights, new ModelParams(TestModel.Path) { ContextSize = 1024 }, new DecodeLoopSettings(2, 4, 1024, 0), metrics, NullLogger.Instance);
        var switched = 0;
        for (uint seed = 1; seed <= 6; seed++)
        {
            var request = new GenerationRequest
            {
                PromptTokens = weights.Tokenize("Once upon a time", add_bos: true, special: true, Encoding.UTF8),
                MaxTokens = 120,
                Sampling = new SamplingSettings { Seed = seed, Temperature = 1 },
                LazyGrammar = new LazyGrammar(" the", OnlyAtStart: false, remainder => remainder.Length == 0 ? "root ::= \" [held]\"" : null),
            };
            Assert.True(loop.TryEnqueue(request, out var updates));
            var text = new StringBuilder();
            await foreach (var update in updates.ReadAllAsync())
            {
                text.Append(update.Text);
            }

            var reply = text.ToString();
            var at = reply.IndexOf(" the", StringComparison.Ordinal);
            if (reply.EndsWith(" the [held]", StringComparison.Ordinal) && reply.IndexOf(" the [held]", StringComparison.Ordinal) == reply.Length - " the [held]".Length)
            {
                switched++;
            }
            else
            {
                // Only a trigger whose token ran on into more text may leave the reply free.
                Assert.True(at < 0 || !reply.Contains("[held]", StringComparison.Ordinal), reply);
            }
        }

        Assert.True(switched > 0, "the grammar never took over");
    }
}
