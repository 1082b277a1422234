using Bunit;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Chat;

namespace OpeaChat.Tests.Web;

/// <summary>The ‹ n / m › buttons of a message with several versions: shown, enabled only where they lead somewhere.</summary>
public sealed class MessageVersionTests : ChatComponentTestContext
{
    private static readonly Guid[] Ids = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];

    private static DisplayedMessage Reply(int index, int count) => DisplayedMessage.FromStored(
        Ids[index], "assistant", $"Version {index + 1}", "complete", "stories260K", DateTimeOffset.UtcNow, 3, 100, count, index, Ids[..count]);

    private IRenderedComponent<ChatMessageItem> RenderItem(DisplayedMessage message, bool isBusy, List<(DisplayedMessage Message, int Offset)> asked) =>
        Render<ChatMessageItem>(parameters => parameters
            .Add(item => item.Message, message)
            .Add(item => item.IsLast, true)
            .Add(item => item.IsBusy, isBusy)
            .Add(item => item.OnShowSibling, request => asked.Add(request)));

    [Fact]
    public void A_message_with_one_version_has_no_version_buttons()
    {
        var item = RenderItem(Reply(0, 1), isBusy: false, []);

        Assert.Empty(item.FindAll(".message-version"));
        Assert.Empty(item.FindAll(".version-previous"));
        Assert.Empty(item.FindAll(".version-next"));
    }

    [Fact]
    public void The_middle_version_goes_both_ways_and_says_which_version_it_asks_for()
    {
        List<(DisplayedMessage Message, int Offset)> asked = [];
        var message = Reply(1, 3);
        var item = RenderItem(message, isBusy: false, asked);

        Assert.Equal("2 / 3", item.Find(".message-version").TextContent);
        Assert.Equal("Previous version", item.Find(".version-previous").GetAttribute("aria-label"));
        Assert.Equal("Next version", item.Find(".version-next").GetAttribute("aria-label"));
        Assert.False(item.Find(".version-previous").HasAttribute("disabled"));
        Assert.False(item.Find(".version-next").HasAttribute("disabled"));

        item.Find(".version-previous").Click();
        item.Find(".version-next").Click();
        Assert.Equal([(message, -1), (message, 1)], asked);
    }

    [Theory]
    [InlineData(0, true, false)]
    [InlineData(2, false, true)]
    public void The_buttons_are_disabled_at_the_ends(int index, bool previousDisabled, bool nextDisabled)
    {
        var item = RenderItem(Reply(index, 3), isBusy: false, []);

        Assert.Equal(previousDisabled, item.Find(".version-previous").HasAttribute("disabled"));
        Assert.Equal(nextDisabled, item.Find(".version-next").HasAttribute("disabled"));
    }

    [Fact]
    public void Versions_cannot_be_switched_while_a_reply_streams()
    {
        var item = RenderItem(Reply(1, 3), isBusy: true, []);

        Assert.True(item.Find(".version-previous").HasAttribute("disabled"));
        Assert.True(item.Find(".version-next").HasAttribute("disabled"));
    }
}
