using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>Page-wide keys in Chromium against the whole app: they act outside text fields and never eat typing.</summary>
[Collection(AppCollection.Name)]
public sealed class KeyboardTests(AppFixture app, ITestOutputHelper output)
{
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task Question_mark_opens_the_shortcuts_outside_text_fields_and_is_typed_inside_them()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.OpenAsync(page, string.Empty);

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
        await _chat.RunAsync(page, "keyboard-escape-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);

            // The tiny model may finish a reply (its 512-token context) within a second, before Escape lands: then the
            // person asks again, as they would. One of three replies must be stopped by Escape, and say so.
            var stopped = false;
            for (var attempt = 1; attempt <= 3 && !stopped; attempt++)
            {
                await page.ClickAsync("#chat-input");
                await page.Keyboard.TypeAsync("One day a dog");
                await page.Keyboard.PressAsync("Enter");
                await page.WaitForFunctionAsync(
                    "n => { const all = document.querySelectorAll('.chat-message.assistant'); return all.length >= n && (all[n - 1].querySelector('.message-text')?.textContent ?? '').trim().length > 0; }",
                    attempt, new() { Timeout = Ms(ReplyTimeout) });
                await page.EvaluateAsync("() => document.activeElement?.blur()");
                await page.Keyboard.PressAsync("Escape");

                var state = await page.WaitForFunctionAsync(
                    "n => { const m = document.querySelectorAll('.chat-message.assistant')[n - 1]; return m && m.dataset.id && m.dataset.state !== 'streaming' ? m.dataset.state : null; }",
                    attempt, new() { Timeout = Ms(ReplyTimeout) });
                stopped = await state.JsonValueAsync<string>() == "stopped";
                await page.WaitForSelectorAsync("#send-button", new() { Timeout = Ms(ReplyTimeout) });
            }

            Assert.True(stopped, "Escape stopped none of three replies");
            // Said once to a screen reader, by the status line rather than by re-reading the list.
            await page.WaitForFunctionAsync("() => document.querySelector('.chat-viewport [role=status]')?.textContent.trim() === 'Reply stopped.'",
                null, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task Every_control_has_a_name_and_tab_reaches_the_main_ones()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.OpenAsync(page, string.Empty);
        await page.ClickAsync("#settings-button");
        await page.Locator("#settings-panel").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });

        // A control a screen reader would announce without a name: icon buttons need aria-label, fields a label.
        var unnamed = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('button, a[href], select, input, textarea, fluent-button, fluent-textarea')]
                .filter(element => element.offsetParent !== null || element.getClientRects().length > 0)
                .filter(element => !(element.getAttribute('aria-label') || element.getAttribute('title')
                    || element.closest('label') || (element.id && document.querySelector(`label[for="${element.id}"]`))
                    || element.textContent.trim()))
                .map(element => element.outerHTML.slice(0, 120))
            """);
        Assert.Empty(unnamed);

        // Tab walks the page: the main controls are all on the way.
        await page.EvaluateAsync("() => document.activeElement?.blur()");
        // The sidebar may list many conversations (other tests' too), each with its buttons: walk until all are met.
        var wanted = new HashSet<string>(StringComparer.Ordinal) { "new-chat-button", "conversation-search", "settings-button", "theme-select", "chat-input", "send-button" };
        var reached = new HashSet<string>(StringComparer.Ordinal);
        for (var step = 0; step < 1000 && !reached.IsSupersetOf(wanted); step++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<string?>("() => document.activeElement?.id || null") is { } id)
            {
                reached.Add(id);
            }
        }

        output.WriteLine(string.Join(", ", reached));
        Assert.Superset(wanted, reached);
        // The focused element is drawn with a visible outline.
        await page.FocusAsync("#settings-button");
        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.PressAsync("Tab");
        var outline = await page.EvalOnSelectorAsync<string>("#settings-button", "element => getComputedStyle(element).outlineStyle");
        Assert.NotEqual("none", outline);
    }
}
