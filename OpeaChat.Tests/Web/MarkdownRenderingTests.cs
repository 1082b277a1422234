using Bunit;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Chat;

namespace OpeaChat.Tests.Web;

/// <summary>Assistant replies render as Markdown, and nothing a model writes can run script in the page.</summary>
public sealed class MarkdownRenderingTests : ChatComponentTestContext
{
    private IRenderedComponent<ChatMessageItem> RenderReply(string text, string status = "complete", bool isLast = true) =>
        Render<ChatMessageItem>(parameters => parameters
            .Add(item => item.Message, DisplayedMessage.FromStored(Guid.NewGuid(), "assistant", text, status, "stories260K",
                DateTimeOffset.Parse("2026-11-27T10:15:00Z", System.Globalization.CultureInfo.InvariantCulture), 42, 1234.5, 1, 0))
            .Add(item => item.IsLast, isLast));

    [Fact]
    public void Script_and_event_handler_attributes_in_a_reply_never_reach_the_page()
    {
        var item = RenderReply("Hello <script>alert(1)</script> and <img src=x onerror=alert(1)> and [x](javascript:alert(1))\n\n<div onclick=\"alert(1)\">raw</div>");

        Assert.Empty(item.FindAll("script"));
        Assert.Empty(item.FindAll("[onerror]"));
        Assert.Empty(item.FindAll("[onclick]"));
        Assert.DoesNotContain(item.FindAll("a"), link => (link.GetAttribute("href") ?? string.Empty).StartsWith("javascript", StringComparison.OrdinalIgnoreCase));
        // The text itself is still shown, as text.
        Assert.Contains("<script>alert(1)</script>", item.Find(".message-markdown").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("<svg onload=alert(1)></svg>")]
    [InlineData("<iframe src=\"javascript:alert(1)\"></iframe>")]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("![x](javascript:alert(1))")]
    public void The_rendered_reply_has_no_active_content(string markdown)
    {
        var item = RenderReply(markdown);

        // Scoped to the reply's text: the page's own icons are SVG.
        Assert.Empty(item.FindAll(".message-markdown :is(script, iframe, svg, object, embed, [onerror], [onload], [onclick])"));
        Assert.Empty(item.FindAll("[onerror], [onload], script"));
        Assert.DoesNotContain(item.FindAll(".message-markdown :is([href], [src])"), element =>
            (element.GetAttribute("href") ?? element.GetAttribute("src") ?? string.Empty).Contains("javascript", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("<script", MarkdownRenderer.ToSafeHtml(markdown), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Tables_lists_code_fences_and_inline_code_render()
    {
        var item = RenderReply("""
            | Name | Value |
            | --- | --- |
            | a | 1 |

            - one
            - two

            1. first

            Use `dotnet run`.

            ```csharp
            Console.WriteLine("hi");
            ```
            """);

        Assert.Equal(["Name", "Value"], item.FindAll("table th").Select(cell => cell.TextContent));
        Assert.Equal(2, item.FindAll("ul li").Count);
        Assert.Single(item.FindAll("ol li"));
        Assert.Equal("dotnet run", item.Find("p code").TextContent);
        var block = item.Find(".code-block");
        Assert.Contains("Console.WriteLine(\"hi\");", block.QuerySelector("pre code")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("language-csharp", block.QuerySelector("pre code")!.GetAttribute("class"));
        Assert.NotNull(block.QuerySelector("button.code-copy"));
    }

    [Fact]
    public void Links_open_in_a_new_tab_without_the_opener()
    {
        var link = RenderReply("See [OPEA](https://opea.dev).").Find("a");

        Assert.Equal("https://opea.dev", link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Contains("noopener", link.GetAttribute("rel"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stored_reply_shows_its_details_and_actions()
    {
        var item = RenderReply("Done.");

        Assert.Equal("Assistant", item.Find(".message-role").TextContent);
        Assert.Equal("stories260K", item.Find(".message-model").TextContent);
        Assert.Equal("42 tokens", item.Find(".message-tokens").TextContent);
        Assert.Equal("1234.5 tokens/s", item.Find(".message-speed").TextContent);
        Assert.NotNull(item.Find("time").GetAttribute("datetime"));
        Assert.NotNull(item.Find(".copy-message"));
        Assert.NotNull(item.Find(".regenerate-button"));
    }

    [Fact]
    public void Only_the_last_reply_can_be_regenerated()
    {
        Assert.Empty(RenderReply("Earlier.", isLast: false).FindAll(".regenerate-button"));
    }

    [Fact]
    public void A_stopped_reply_says_so()
    {
        var item = RenderReply("Once upon", status: "stopped");

        Assert.Equal("stopped", item.Find(".chat-message").GetAttribute("data-state"));
        Assert.Equal("Stopped", item.Find(".message-note").TextContent);
    }

    [Fact]
    public void A_failed_reply_is_marked_cut_off()
    {
        var item = RenderReply("Once", status: "failed");

        Assert.Equal("cutoff", item.Find(".chat-message").GetAttribute("data-state"));
        Assert.Equal("Reply cut off", item.Find(".message-note").TextContent);
    }

    [Fact]
    public void A_streaming_reply_without_text_shows_it_is_thinking()
    {
        var item = Render<ChatMessageItem>(parameters => parameters.Add(i => i.Message, DisplayedMessage.StartReply()).Add(i => i.IsLast, true).Add(i => i.IsBusy, true));

        Assert.Contains("Thinking", item.Find(".message-waiting").TextContent, StringComparison.Ordinal);
        Assert.Empty(item.FindAll(".regenerate-button"));
    }

    [Fact]
    public void A_user_message_is_plain_text_and_can_be_edited()
    {
        var item = Render<ChatMessageItem>(parameters => parameters
            .Add(i => i.Message, DisplayedMessage.FromStored(Guid.NewGuid(), "user", "**not bold** <b>x</b>", "complete", null, DateTimeOffset.UtcNow, null, null, 1, 0)));

        Assert.Equal("**not bold** <b>x</b>", item.Find(".message-text").TextContent);
        Assert.Empty(item.FindAll(".message-text b"));
        item.Find(".edit-message").Click();
        Assert.Equal("**not bold** <b>x</b>", item.Find("textarea.edit-input").GetAttribute("value"));
    }
}
