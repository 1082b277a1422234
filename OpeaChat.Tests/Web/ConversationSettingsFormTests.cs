using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Prompts;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>The settings panel's checks: the gateway's limits, each problem named at its field.</summary>
public sealed class ConversationSettingsFormTests
{
    private static readonly PromptRecord Template = new() { Id = "rag", Name = "RAG", Kind = "template", Text = "### Search results: {context} ### Question: {question}", Variables = ["context", "question"] };
    private static readonly PromptRecord System = new() { Id = "assistant", Name = "Helpful assistant", Kind = "system", Text = "You help.", BuiltIn = true };

    [Fact]
    public void Typed_values_become_the_settings_to_save_and_blank_ones_are_cleared()
    {
        var form = new ConversationSettingsForm { SystemPrompt = "  Be brief.  ", Temperature = "0.25", TopP = "", MaxTokens = "64", Seed = "-3" };

        Assert.True(form.TryBuild([System], out var settings));

        Assert.Equal(new ConversationUpdate { SystemPrompt = "Be brief.", Temperature = 0.25f, MaxTokens = 64, Seed = -3 }, settings);
        Assert.Empty(form.Errors);
    }

    [Theory]
    [InlineData("temperature", "2.5")]
    [InlineData("temperature", "warm")]
    [InlineData("top_p", "0")]
    [InlineData("top_p", "1.5")]
    [InlineData("max_tokens", "0")]
    [InlineData("max_tokens", "12.5")]
    [InlineData("max_tokens", "2000000")]
    [InlineData("seed", "1e3")]
    public void A_value_outside_the_gateways_limits_is_named_at_its_field(string field, string value)
    {
        var form = new ConversationSettingsForm();
        switch (field)
        {
            case "temperature": form.Temperature = value; break;
            case "top_p": form.TopP = value; break;
            case "max_tokens": form.MaxTokens = value; break;
            default: form.Seed = value; break;
        }

        Assert.False(form.TryBuild([], out _));

        Assert.Equal([field], form.Errors.Keys);
    }

    [Fact]
    public void A_template_needs_its_values_but_never_the_question()
    {
        var form = new ConversationSettingsForm { PromptId = "rag" };

        Assert.False(form.TryBuild([Template], out _));
        Assert.Equal(["variables.context"], form.Errors.Keys);

        form.Variables["context"] = "Paris is in France.";
        Assert.True(form.TryBuild([Template], out var settings));
        Assert.Equal("rag", settings.PromptId);
        Assert.Equal(new Dictionary<string, string> { ["context"] = "Paris is in France." }, settings.Variables);
    }

    [Fact]
    public void A_prompt_that_no_longer_exists_is_reported()
    {
        var form = new ConversationSettingsForm { PromptId = "gone" };

        Assert.False(form.TryBuild([System], out _));

        Assert.Equal(["prompt_id"], form.Errors.Keys);
    }

    [Fact]
    public void A_stored_conversation_fills_the_form_as_a_person_would_type_it()
    {
        var conversation = new ConversationRecord
        {
            Id = Guid.NewGuid(), Title = "Chat", SystemPrompt = "Be brief.", Model = "m", PromptId = "rag",
            Variables = new Dictionary<string, string> { ["context"] = "x" }, Temperature = 0.7f, TopP = 0.95f, MaxTokens = 256, Seed = 42,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };

        var form = ConversationSettingsForm.From(conversation);

        Assert.Equal(("Be brief.", "rag", "0.7", "0.95", "256", "42"), (form.SystemPrompt, form.PromptId, form.Temperature, form.TopP, form.MaxTokens, form.Seed));
        Assert.Equal("x", form.Variables["context"]);
    }
}
