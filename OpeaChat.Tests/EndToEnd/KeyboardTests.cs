using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>Page-wide keys in Chromium against the whole app: they act outside text fields and never eat typing.</summary>
[Collection(AppCollection.Name)]
public sealed class KeyboardTests(AppFixture app, ITestOutputHelper output)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Question_mark_opens_the_shortcuts_outside_text_fields_and_is_typed_inside_them()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await page.GotoAsync(app.WebBaseUri.ToString());
        await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });

        await page.ClickAsync("#chat-input");
        await page.Keyboard.TypeAsync("Why?");
        Assert.Equal("Why?", await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value"));
        Assert.Equal(0, await page.Locator("#shortcuts-dialog[open]").CountAsync());

        await page.ClickAsync(".chat-empty-title");
        await page.Keyboard.PressAsync("?");
        await page.WaitForSelectorAsync("#shortcuts-dialog[open]", new() { Timeout = Ms(ReadyTimeout) });
        Assert.Contains("?", await page.Locator("#shortcuts-dialog").InnerTextAsync(), StringComparison.Ordinal);
        await page.Keyboard.PressAsync("Escape");
        await page.WaitForSelectorAsync("#shortcuts-dialog[open]", new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
        Assert.Equal("Why?", await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value"));
    }

    [Fact]
    public async Task Escape_stops_the_reply_even_when_the_message_box_does_not_have_focus()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await page.GotoAsync(app.WebBaseUri.ToString());
        await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });

        await page.ClickAsync("#chat-input");
        await page.Keyboard.TypeAsync("One day a dog");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync(
            "() => (document.querySelector('.chat-message.assistant .message-text')?.textContent ?? '').trim().length > 0",
            null, new() { Timeout = Ms(ReplyTimeout) });
        await page.EvaluateAsync("() => document.activeElement?.blur()");
        await page.Keyboard.PressAsync("Escape");

        await page.WaitForSelectorAsync(".chat-message.assistant[data-state='stopped'][data-id]", new() { Timeout = Ms(ReplyTimeout) });
    }

    private static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;
}
