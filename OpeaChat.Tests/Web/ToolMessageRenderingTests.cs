using Bunit;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Chat;

namespace OpeaChat.Tests.Web;

/// <summary>Stored tool calls and tool results (made by programs on the OpenAI door) as a reloaded chat shows them.</summary>
public sealed class ToolMessageRenderingTests : ChatComponentTestContext
{
    private IRenderedComponent<ChatMessageItem> RenderItem(DisplayedMessage message) =>
        Render<ChatMessageItem>(parameters => parameters.Add(item => item.Message, message).Add(item => item.IsLast, false));

    [Fact]
    public void An_assistant_message_with_only_tool_calls_shows_each_call_collapsed_and_no_empty_reply_note()
    {
        ToolCall[] calls =
        [
            new() { Id = "call_1", Function = new FunctionCall { Name = "get_weather", Arguments = """{"city":"Oslo"}""" } },
            new() { Id = "call_2", Function = new FunctionCall { Name = "add", Arguments = """{"a":1,"b":2}""" } },
        ];
        var message = DisplayedMessage.FromStored(Guid.NewGuid(), "assistant", "", "complete", "m", DateTimeOffset.UtcNow, 9, null, 1, 0, toolCalls: calls);

        var item = RenderItem(message);

        var shown = item.FindAll("details.message-tool-call");
        Assert.Equal(2, shown.Count);
        Assert.All(shown, details => Assert.False(details.HasAttribute("open")));
        Assert.Equal(["get_weather", "add"], shown.Select(details => details.QuerySelector("summary code")!.TextContent));
        Assert.Equal("""{"city":"Oslo"}""", shown[0].QuerySelector("pre")!.TextContent);
        Assert.Empty(item.FindAll(".message-text"));
        Assert.DoesNotContain("empty reply", item.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tool_result_shows_its_call_and_content_as_text_labelled_tool()
    {
        var message = DisplayedMessage.FromStored(Guid.NewGuid(), "tool", "<b>21</b> degrees", "complete", null, DateTimeOffset.UtcNow, null, null, 1, 0,
            toolCallId: "call_1");

        var item = RenderItem(message);

        var result = item.Find("details.message-tool-result");
        Assert.Equal("call_1", result.QuerySelector("summary code")!.TextContent);
        Assert.Equal("<b>21</b> degrees", result.QuerySelector("pre")!.TextContent);
        Assert.Empty(item.FindAll("pre b"));
        Assert.Equal("Tool", item.Find(".message-role").TextContent);
    }
}
