using OpeaChat.ChatQnA.Prompts;

namespace OpeaChat.Tests.ChatQnA.Prompts;

public sealed class PromptTemplateTests
{
    [Fact]
    public void The_opea_template_has_context_and_question_and_fills_exactly()
    {
        Assert.Equal("### Search results: {context} ### Question: {question} ### Answer:", BuiltInPrompts.OpeaChatQnAText);
        Assert.Equal(["context", "question"], PromptTemplate.GetVariables(BuiltInPrompts.OpeaChatQnAText));

        var text = PromptTemplate.Fill(BuiltInPrompts.OpeaChatQnAText, new Dictionary<string, string>
        {
            ["context"] = "OPEA is the Open Platform for Enterprise AI.",
            ["question"] = "What is OPEA?",
            ["unused"] = "ignored",
        });

        Assert.Equal("### Search results: OPEA is the Open Platform for Enterprise AI. ### Question: What is OPEA? ### Answer:", text);
    }

    [Theory]
    [InlineData("Hello {question", "never closed")]
    [InlineData("Hello question}", "Single '}'")]
    [InlineData("{1abc} text", "'{1abc}' at position 0 is not a placeholder")]
    [InlineData("{ spaced }", "not a placeholder")]
    [InlineData("{}", "not a placeholder")]
    [InlineData("{a.b}", "not a placeholder")]
    [InlineData("{{ok}} then {", "position 12")]
    public void Templates_that_do_not_parse_are_named_with_the_position(string template, string problem)
    {
        var found = PromptTemplate.Check(template);

        Assert.NotNull(found);
        Assert.Contains(problem, found, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hello {question}")]
    [InlineData("{{literal}} {name} {{\"json\": 1}}")]
    [InlineData("no braces at all")]
    [InlineData(BuiltInPrompts.OpeaChatQnAText)]
    [InlineData(BuiltInPrompts.AssistantText)]
    public void Templates_that_parse_pass_the_check(string template) => Assert.Null(PromptTemplate.Check(template));

    [Fact]
    public void Variables_are_listed_once_in_order_of_appearance()
    {
        Assert.Equal(["b", "a_1", "_c"], PromptTemplate.GetVariables("{b} {a_1} {b} {_c}"));
        Assert.Empty(PromptTemplate.GetVariables("no placeholders, {1abc}, { spaced }, {}"));
    }

    [Fact]
    public void Missing_values_are_all_named_in_the_error()
    {
        var exception = Assert.Throws<PromptTemplateException>(() =>
            PromptTemplate.Fill("{context} / {question} / {tone}", new Dictionary<string, string> { ["context"] = "c" }));

        Assert.Equal(["question", "tone"], exception.Missing);
        Assert.Contains("{question}", exception.Message, StringComparison.Ordinal);
        Assert.Contains("{tone}", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Doubled_braces_are_literal_and_values_are_not_expanded_again()
    {
        var text = PromptTemplate.Fill("{{literal}} {name} {\"json\": 1}", new Dictionary<string, string> { ["name"] = "{question}" });

        Assert.Equal("{literal} {question} {\"json\": 1}", text);
        Assert.Equal(["name"], PromptTemplate.GetVariables("{{literal}} {name}"));
    }
}
