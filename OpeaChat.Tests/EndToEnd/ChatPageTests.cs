using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The chat page in a real browser (Debian's Chromium, driven by Playwright) against the whole app: web, gateway
/// (with its stored conversations) and inference on the real tiny model.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ChatPageTests(AppFixture app, ITestOutputHelper output)
{
    private const string Prompt = "Once upon a time";
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task A_sent_prompt_streams_a_reply_into_a_new_conversation_that_survives_a_reload()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-page-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            await SendAsync(page, Prompt);

            var user = page.Locator(".chat-message.user .message-text");
            Assert.Equal(Prompt, (await user.InnerTextAsync()).Trim());
            var reply = (await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()).Trim();
            output.WriteLine($"reply: {reply}");
            Assert.NotEmpty(reply);
            Assert.DoesNotContain('\uFFFD', reply);
            Assert.Equal(0, await page.Locator("#chat-error").CountAsync());
            Assert.Equal(string.Empty, await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value"));

            // The stored reply's details: model, tokens, speed.
            await page.WaitForSelectorAsync(".chat-message.assistant .message-tokens", new() { Timeout = Ms(ReplyTimeout) });
            Assert.Matches(@"^\d+ tokens$", (await page.Locator(".chat-message.assistant .message-tokens").InnerTextAsync()).Trim());
            Assert.EndsWith("tokens/s", (await page.Locator(".chat-message.assistant .message-speed").InnerTextAsync()).Trim(), StringComparison.Ordinal);

            // The address names the stored conversation, and the sidebar lists it (titled by the first message).
            await WaitForPathAsync(page, "^/c/[^/]+$");
            var id = Guid.Parse(new Uri(page.Url).Segments[^1]);
            var item = page.Locator($".conversation-item[data-id='{id}']");
            await item.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Contains(Prompt, await item.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Contains("active", await item.GetAttributeAsync("class") ?? string.Empty, StringComparison.Ordinal);

            await page.Mouse.MoveAsync(0, 0);
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-light.png")}");

            // A reload shows the same conversation from the gateway.
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='complete']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(Prompt, (await page.Locator(".chat-message.user .message-text").InnerTextAsync()).Trim());
            Assert.Equal(reply, (await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()).Trim());

            // New chat empties the page and goes back to /.
            await page.ClickAsync("#new-chat-button:not([disabled])");
            await page.WaitForSelectorAsync(".chat-empty", new() { Timeout = Ms(ReadyTimeout) });
            Assert.EndsWith("/", page.Url, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_dark_theme_is_remembered_across_a_reload()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-theme-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            await SendAsync(page, "The little dog");
            await page.SelectOptionAsync("#theme-select", "Dark");
            await page.WaitForSelectorAsync("body[data-theme='dark']", new() { Timeout = Ms(ReadyTimeout), State = WaitForSelectorState.Attached });
            await page.WaitForTimeoutAsync(500); // The theme's colours settle.
            await page.Mouse.MoveAsync(0, 0);
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-dark.png")}");

            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForSelectorAsync("body[data-theme='dark']", new() { Timeout = Ms(ReadyTimeout), State = WaitForSelectorState.Attached });
            await page.WaitForFunctionAsync("() => document.getElementById('theme-select')?.value === 'Dark'", null, new() { Timeout = Ms(ReadyTimeout) });

            await page.SelectOptionAsync("#theme-select", "Light");
            await page.WaitForFunctionAsync("() => document.body.getAttribute('data-theme') !== 'dark'", null, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task Escape_stops_the_reply_and_the_partial_text_is_stored_as_stopped()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-stop-failure.png", async () =>
        {
            // The tiny model may finish a reply (its 512-token context) within a second, before Escape reaches the
            // gateway: then the person asks again in a new chat, as they would. One of three must be stopped.
            var stopped = false;
            for (var attempt = 1; attempt <= 3 && !stopped; attempt++)
            {
                await _chat.OpenAsync(page, string.Empty);
                await TypeAsync(page, "One day a cat");
                await page.Keyboard.PressAsync("Enter");
                await page.WaitForFunctionAsync(
                    "() => (document.querySelector('.chat-message.assistant .message-text')?.textContent ?? '').trim().length > 0",
                    null, new() { Timeout = Ms(ReplyTimeout) });
                await page.Keyboard.PressAsync("Escape");

                // The gateway stores what had arrived as stopped; the page shows the stored message.
                var state = await page.WaitForFunctionAsync(
                    "() => { const m = document.querySelector('.chat-message.assistant'); return m && m.dataset.id && m.dataset.state !== 'streaming' ? m.dataset.state : null; }",
                    null, new() { Timeout = Ms(ReplyTimeout) });
                stopped = await state.JsonValueAsync<string>() == "stopped";
            }

            Assert.True(stopped, "Escape stopped none of three replies");
            Assert.Equal("Stopped", (await page.Locator(".chat-message.assistant .message-note").InnerTextAsync()).Trim());
            Assert.Equal(0, await page.Locator("#chat-error").CountAsync());

            await page.ReloadAsync();
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='stopped']", new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task Regenerate_replaces_the_last_reply_with_a_second_version()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-regenerate-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            await SendAsync(page, "Lily wanted to play");
            var first = await page.Locator(".chat-message.assistant").GetAttributeAsync("data-id");

            await page.ClickAsync(".chat-message.assistant .regenerate-button");
            // The new version streams in place of the old one (the tiny model may write for a while: stop it once
            // it has text, which also checks that a regenerated reply can be stopped).
            await page.WaitForFunctionAsync(
                "first => { const m = document.querySelector('.chat-message.assistant'); return m && m.dataset.id !== first && (m.querySelector('.message-text')?.textContent ?? '').trim().length > 0; }",
                first, new() { Timeout = Ms(ReplyTimeout) });
            await ChatPageDriver.StopIfStillStreamingAsync(page);

            await page.WaitForFunctionAsync(
                "first => { const m = document.querySelector('.chat-message.assistant[data-id]:not([data-state=\"streaming\"])'); return m && m.dataset.id !== first; }",
                first, new() { Timeout = Ms(ReplyTimeout) });
            Assert.Equal(1, await page.Locator(".chat-message.assistant").CountAsync());
            Assert.Equal("2 / 2", (await page.Locator(".chat-message.assistant .message-version").InnerTextAsync()).Trim());
        });
    }

    [Fact]
    public async Task Editing_a_question_resends_it_as_a_new_branch()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-edit-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            await SendAsync(page, "Tom had a ball");

            await page.ClickAsync(".chat-message.user .edit-message");
            await page.FillAsync(".chat-message.user textarea.edit-input", "Tom had a red ball");
            await page.ClickAsync(".chat-message.user .edit-send");

            await page.WaitForFunctionAsync(
                "() => document.querySelector('.chat-message.user .message-version')?.textContent.trim() === '2 / 2'",
                null, new() { Timeout = Ms(ReplyTimeout) });
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='complete'][data-id]", new() { Timeout = Ms(ReplyTimeout) });
            Assert.Equal("Tom had a red ball", (await page.Locator(".chat-message.user .message-text").InnerTextAsync()).Trim());
            Assert.Equal(2, await page.Locator(".chat-message").CountAsync());
        });
    }

    [Fact]
    public async Task Conversations_can_be_searched_renamed_exported_and_deleted_from_the_sidebar()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        using var gateway = app.CreateHttpClient("chatqna");
        var kept = await CreateConversationAsync(gateway, $"Alpha {tag}");
        var other = await CreateConversationAsync(gateway, $"Beta {tag}");

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-sidebar-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            await page.Locator($".conversation-item[data-id='{kept}']").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });

            // Ctrl+K focuses the search box; the list filters through the gateway's ?q=.
            await page.Keyboard.PressAsync("Control+K");
            Assert.True(await page.EvalOnSelectorAsync<bool>("#conversation-search", "element => element === document.activeElement"));
            await page.Keyboard.TypeAsync($"Alpha {tag}");
            await page.Locator($".conversation-item[data-id='{other}']").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync("() => document.querySelectorAll('.conversation-item').length === 1", null, new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(1, await page.Locator($".conversation-item[data-id='{kept}']").CountAsync());

            // Clearing the search shows the rest again.
            await page.FillAsync("#conversation-search", string.Empty);
            await page.Locator($".conversation-item[data-id='{other}']").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });

            // Rename in place.
            var item = page.Locator($".conversation-item[data-id='{kept}']");
            await item.HoverAsync();
            await item.Locator(".rename-button").ClickAsync();
            await item.Locator(".rename-input").FillAsync($"Renamed {tag}");
            await item.Locator(".rename-input").PressAsync("Enter");
            await page.WaitForFunctionAsync(
                "([id, title]) => document.querySelector(`.conversation-item[data-id='${id}'] .conversation-link`)?.textContent.trim() === title",
                new[] { kept.ToString(), $"Renamed {tag}" }, new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal($"Renamed {tag}", await TitleAsync(gateway, kept));

            // Export through the web app's pass-through.
            using (var web = new HttpClient { BaseAddress = app.WebBaseUri })
            {
                using var export = await web.GetAsync(new Uri($"export/{kept}?format=markdown", UriKind.Relative));
                Assert.True(export.IsSuccessStatusCode, $"export answered {(int)export.StatusCode}");
                Assert.Contains($"Renamed {tag}", await export.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.StartsWith("attachment", export.Content.Headers.ContentDisposition?.ToString() ?? string.Empty, StringComparison.Ordinal);
            }

            // Delete asks first; Cancel keeps it, Delete removes it from the list and the gateway.
            await item.HoverAsync();
            await item.Locator(".delete-button").ClickAsync();
            await item.Locator(".delete-confirm-no").ClickAsync();
            Assert.Equal(System.Net.HttpStatusCode.OK, (await gateway.GetAsync(new Uri($"v1/conversations/{kept}", UriKind.Relative))).StatusCode);
            await item.HoverAsync();
            await item.Locator(".delete-button").ClickAsync();
            await item.Locator(".delete-confirm-yes").ClickAsync();
            await item.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await gateway.GetAsync(new Uri($"v1/conversations/{kept}", UriKind.Relative))).StatusCode);
            Assert.Equal(1, await page.Locator($".conversation-item[data-id='{other}']").CountAsync());
        });
    }

    [Fact]
    public async Task On_a_narrow_screen_the_sidebar_is_a_drawer_and_shortcuts_open_their_dialog()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(width: 375, height: 740, log: output.WriteLine);
        await _chat.RunAsync(page, "chat-narrow-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            var sidebar = page.Locator("#conversation-sidebar");
            Assert.False(await sidebar.IsVisibleAsync());
            Assert.Equal("false", await page.GetAttributeAsync("#sidebar-toggle", "aria-expanded"));

            await page.ClickAsync("#sidebar-toggle");
            await sidebar.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = Ms(ReadyTimeout) });
            Assert.Equal("true", await page.GetAttributeAsync("#sidebar-toggle", "aria-expanded"));
            var box = await sidebar.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.Width <= 375, $"drawer is {box.Width}px wide");
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-narrow-drawer.png")}");

            await page.ClickAsync(".drawer-scrim", new() { Position = new() { X = 360, Y = 300 } });
            await sidebar.WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = Ms(ReadyTimeout) });

            // No horizontal scrolling at 375 px.
            var overflow = await SidewaysOverflowAsync(page);
            Assert.True(overflow.Length == 0, $"the page scrolls sideways at 375 px: {overflow}");

            await page.Keyboard.PressAsync("Control+/");
            await page.WaitForSelectorAsync("#shortcuts-dialog[open]", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Contains("Ctrl", await page.Locator("#shortcuts-dialog").InnerTextAsync(), StringComparison.Ordinal);
            await page.Keyboard.PressAsync("Escape");
            await page.WaitForSelectorAsync("#shortcuts-dialog[open]", new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task A_new_chat_is_listed_under_its_title_while_its_first_reply_streams()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "chat-title-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            // Notes when the sidebar first shows the title and when the reply stops streaming (however short it is).
            await page.EvaluateAsync("""
                title => {
                    window.seen = {};
                    const look = () => {
                        const now = performance.now();
                        if (!window.seen.titled && [...document.querySelectorAll('.conversation-item .conversation-link')].some(link => link.textContent.includes(title))) window.seen.titled = now;
                        if (!window.seen.streamed && document.querySelector('.chat-message.assistant[data-state="streaming"]')) window.seen.streamed = now;
                        if (window.seen.streamed && !window.seen.ended && !document.querySelector('.chat-message.assistant[data-state="streaming"]')) window.seen.ended = now;
                    };
                    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
                }
                """, Prompt);
            await TypeAsync(page, Prompt);
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForSelectorAsync(".chat-message.assistant[data-id]:not([data-state='streaming']) .message-tokens", new() { Timeout = Ms(ReplyTimeout) });

            // The gateway titles a chat by its first message as it stores it: the sidebar says so before the reply ends.
            var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.seen");
            output.WriteLine($"streaming from {seen.GetValueOrDefault("streamed"):F0} ms, titled at {seen.GetValueOrDefault("titled"):F0} ms, ended at {seen.GetValueOrDefault("ended"):F0} ms");
            Assert.True(seen.ContainsKey("titled") && seen.ContainsKey("ended"), "the sidebar never showed the title, or the reply never ended");
            Assert.True(seen["titled"] < seen["ended"], "the title came only after the reply ended");
        });
    }

    [Theory]
    [InlineData(360)]
    [InlineData(390)]
    [InlineData(412)]
    public async Task At_phone_widths_nothing_sticks_out_while_typing_streaming_or_after_a_reply(int width)
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(width: width, height: 800, log: output.WriteLine);
        await _chat.RunAsync(page, $"chat-phone-{width}-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            Assert.Equal(string.Empty, await SidewaysOverflowAsync(page));

            await TypeAsync(page, Prompt + " there was a question long enough to fill the box on a phone");
            Assert.Equal(string.Empty, await SidewaysOverflowAsync(page));

            // The tiny model can stream a whole reply in half a second, quicker than a wait for the streaming state
            // polls, so each change the page makes while streaming is checked as it lands.
            await page.EvaluateAsync($$"""
                () => {
                    const overflow = {{SidewaysOverflowScript}};
                    window.streamingChecks = { seen: 0, overflow: '' };
                    new MutationObserver(() => {
                        if (!document.querySelector(".chat-message.assistant[data-state='streaming']")) return;
                        window.streamingChecks.seen++;
                        window.streamingChecks.overflow ||= overflow();
                    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
                }
                """);
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='complete'] .message-tokens", new() { Timeout = Ms(ReplyTimeout) });
            Assert.True(await page.EvaluateAsync<int>("() => window.streamingChecks.seen") > 0, "the reply was never seen streaming");
            Assert.Equal(string.Empty, await page.EvaluateAsync<string>("() => window.streamingChecks.overflow")); // Stop in Send's place
            Assert.Equal(string.Empty, await SidewaysOverflowAsync(page));
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, $"chat-phone-{width}.png")}");
        });
    }

    /// <summary>
    /// The controls (and the page itself) that stick out past the window's right edge, so that a person would have to
    /// scroll sideways to reach them; empty when none does.
    /// </summary>
    private static Task<string> SidewaysOverflowAsync(IPage page) => page.EvaluateAsync<string>(SidewaysOverflowScript);

    private const string SidewaysOverflowScript = """
        () => {
            const width = document.documentElement.clientWidth;
            const out = [...document.querySelectorAll('button, input, textarea, select, a, [role=button], fluent-button, fluent-textarea, fluent-select')]
                .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && e.getBoundingClientRect().right > width + 0.5)
                .slice(0, 5)
                .map(e => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')} right=${Math.round(e.getBoundingClientRect().right)} > ${width}`);
            if (document.documentElement.scrollWidth > width) out.push(`scrollWidth ${document.documentElement.scrollWidth} > ${width}`);
            return out.join('; ');
        }
        """;
}
