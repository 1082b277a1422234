using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The message list in a real browser against the whole app: a long conversation is windowed and opens at its end,
/// the view follows a reply only while the user is at the bottom, and versions of a reply can be switched.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class MessageListTests(AppFixture app, ITestOutputHelper output)
{
    private const int LongConversation = 200;

    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    /// <summary>True when the message list is scrolled to its very end.</summary>
    private const string AtBottom =
        "() => { const s = document.querySelector('.chat-scroll'); return !!s && s.scrollHeight - s.scrollTop - s.clientHeight < 2; }";

    /// <summary>True when the rendered message containing the text passed is inside the list's view.</summary>
    private const string InView =
        """
        text => {
            const view = document.querySelector('.chat-scroll')?.getBoundingClientRect();
            const message = [...document.querySelectorAll('.chat-message')].find(m => m.querySelector('.message-text')?.textContent.includes(text));
            if (!view || !message) { return false; }
            const box = message.getBoundingClientRect();
            return box.bottom <= view.bottom + 1 && box.bottom > view.top;
        }
        """;

    /// <summary>True when at least one rendered message shows inside the list's view (it is never blank).</summary>
    private const string SomeMessageInView =
        """
        () => {
            const view = document.querySelector('.chat-scroll').getBoundingClientRect();
            return [...document.querySelectorAll('.chat-message')].some(m => { const b = m.getBoundingClientRect(); return b.bottom > view.top && b.top < view.bottom; });
        }
        """;

    /// <summary>The list's scroll position once it has stopped moving (a wheel scroll may be animated).</summary>
    private const string SettledScrollTop =
        """
        () => new Promise(resolve => {
            const s = document.querySelector('.chat-scroll');
            let last = s.scrollTop, same = 0;
            const tick = () => {
                if (s.scrollTop === last) { if (++same >= 10) { resolve(last); return; } } else { same = 0; last = s.scrollTop; }
                requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
        })
        """;

    [Fact]
    public async Task A_long_conversation_opens_at_its_last_message_with_only_a_few_messages_in_the_page()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await ImportLongConversationAsync(gateway, LongConversation);
        var other = await ImportLongConversationAsync(gateway, LongConversation);

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "list-long-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            await page.WaitForFunctionAsync(InView, Marker(LongConversation - 1), new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await page.Locator("#jump-to-latest").CountAsync());
            var rendered = await page.Locator(".chat-message").CountAsync();
            output.WriteLine($"messages in the page at the bottom: {rendered} of {LongConversation}");
            Assert.InRange(rendered, 1, LongConversation / 4);
            // A feed for assistive technology: each message says where it stands in the whole conversation.
            Assert.Equal("feed", await page.GetAttributeAsync(".chat-messages", "role"));
            var lastMessage = page.Locator(".chat-message").Last;
            Assert.Equal((LongConversation.ToString(CultureInfo.InvariantCulture), LongConversation.ToString(CultureInfo.InvariantCulture)),
                (await lastMessage.GetAttributeAsync("aria-posinset"), await lastMessage.GetAttributeAsync("aria-setsize")));

            // Near the top of the window, earlier messages come in above and the one being read stays where it was.
            var before = await page.EvaluateAsync<JsonElement>(
                """
                () => {
                    const s = document.querySelector('.chat-scroll');
                    s.scrollTop = 200;
                    const top = s.getBoundingClientRect().top;
                    const m = [...document.querySelectorAll('.chat-message')].find(m => m.getBoundingClientRect().bottom > top);
                    return { first: Number(document.querySelector('.chat-message').getAttribute('aria-posinset')), anchor: m.getAttribute('aria-posinset'), offset: m.getBoundingClientRect().top - top };
                }
                """);
            await page.WaitForFunctionAsync("first => Number(document.querySelector('.chat-message').getAttribute('aria-posinset')) < first",
                before.GetProperty("first").GetInt32(), new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync(
                "b => Math.abs(document.querySelector(`.chat-message[aria-posinset='${b.anchor}']`).getBoundingClientRect().top - document.querySelector('.chat-scroll').getBoundingClientRect().top - b.offset) <= 2",
                new { anchor = before.GetProperty("anchor").GetString(), offset = before.GetProperty("offset").GetDouble() },
                new() { Timeout = Ms(ReadyTimeout) });

            // Scrolled to the top, the first message is rendered (and the last ones are dropped).
            await page.EvalOnSelectorAsync(".chat-scroll", "s => { s.scrollTop = 0; }");
            await page.WaitForFunctionAsync(
                "text => { const s = document.querySelector('.chat-scroll'); s.scrollTop = 0; return [...document.querySelectorAll('.chat-message .message-text')].some(m => m.textContent.includes(text)); }",
                Marker(0), new() { Timeout = Ms(ReadyTimeout) });
            Assert.InRange(await page.Locator(".chat-message").CountAsync(), 1, LongConversation / 4);
            Assert.Equal(0, await page.Locator(".chat-message", new() { HasTextString = Marker(LongConversation - 1) }).CountAsync());
            await page.Locator("#jump-to-latest").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.True(await page.EvaluateAsync<bool>(SomeMessageInView), "the view is blank at the top");

            // Scrolling back down moves the window back to the newest messages, and at the very end the view follows again.
            await page.WaitForFunctionAsync(
                "text => { const s = document.querySelector('.chat-scroll'); s.scrollTop = s.scrollHeight; return [...document.querySelectorAll('.chat-message .message-text')].some(m => m.textContent.includes(text)); }",
                Marker(LongConversation - 1), new() { Timeout = Ms(ReadyTimeout) });
            await page.EvalOnSelectorAsync(".chat-scroll", "s => { s.scrollTop = s.scrollHeight; }");
            await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = Ms(ReadyTimeout) });
            await page.Locator("#jump-to-latest").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
            Assert.InRange(await page.Locator(".chat-message").CountAsync(), 1, LongConversation / 4);
            Assert.True(await page.EvaluateAsync<bool>(SomeMessageInView), "the view is blank at the bottom");
            await page.EvalOnSelectorAsync(".chat-scroll", "s => { s.scrollTop = 0; }");
            await page.Locator("#jump-to-latest").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });

            // Another conversation chosen in the sidebar opens at its end too, following again.
            await page.ClickAsync($".conversation-item[data-id='{other}'] .conversation-link");
            await WaitForPathAsync(page, $"^/c/{other}$");
            await page.WaitForFunctionAsync(InView, Marker(LongConversation - 1), new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = Ms(ReadyTimeout) });
            await page.Locator("#jump-to-latest").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task Scrolling_up_stops_following_the_reply_until_jump_to_latest()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await ImportLongConversationAsync(gateway, LongConversation);

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "list-scroll-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            await page.WaitForFunctionAsync(InView, Marker(LongConversation - 1), new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = Ms(ReadyTimeout) });
            var replyId = await page.Locator(".chat-message.assistant", new() { HasTextString = Marker(LongConversation - 1) }).GetAttributeAsync("data-id");

            // The user scrolls up a little with the wheel: following stops and "Jump to latest" appears.
            await page.HoverAsync(".chat-scroll");
            await page.Mouse.WheelAsync(0, -300);
            var jump = page.Locator("#jump-to-latest");
            await jump.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("Jump to latest", await jump.GetAttributeAsync("aria-label"));
            var top = await page.EvaluateAsync<double>(SettledScrollTop);

            // A reply now streams below the view (the last reply, regenerated; the click is dispatched so that
            // Playwright does not scroll the button into view): the view stays where the user put it.
            await page.Locator(".chat-message.assistant .regenerate-button").DispatchEventAsync("click");
            await page.WaitForFunctionAsync(
                "first => { const all = document.querySelectorAll('.chat-message.assistant'); const m = all[all.length - 1]; return !!m && !!m.dataset.id && m.dataset.id !== first && m.dataset.state !== 'streaming'; }",
                replyId, new() { Timeout = Ms(ReplyTimeout) });
            await page.WaitForSelectorAsync("#send-button:not([disabled])", new() { Timeout = Ms(ReplyTimeout) });
            Assert.Equal(top, await page.EvaluateAsync<double>(SettledScrollTop), 1.0);
            Assert.False(await page.EvaluateAsync<bool>(AtBottom));
            Assert.Equal(1, await jump.CountAsync());

            // The button is reachable from the keyboard: it goes to the newest message and follows again.
            await jump.FocusAsync();
            Assert.True(await jump.EvaluateAsync<bool>("b => b === document.activeElement"));
            await page.Keyboard.PressAsync("Enter");
            await jump.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = Ms(ReadyTimeout) });

            // At the bottom, the question sent and its reply are followed as they arrive. (Only the messages near
            // the view are in the page, so the stored reply is found by its place after the question, not by count.)
            await page.ClickAsync("#chat-input");
            await page.Keyboard.TypeAsync("The cat sat");
            await page.ClickAsync("#send-button:not([disabled])");
            await page.WaitForFunctionAsync(
                """
                text => {
                    const question = [...document.querySelectorAll('.chat-message.user')].pop();
                    const reply = [...document.querySelectorAll('.chat-message.assistant')].pop();
                    return !!question && !!reply && question.textContent.includes(text) && !!reply.dataset.id && reply.dataset.state !== 'streaming'
                        && (question.compareDocumentPosition(reply) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
                }
                """,
                "The cat sat", new() { Timeout = Ms(ReplyTimeout) });
            await page.WaitForSelectorAsync("#send-button:not([disabled])", new() { Timeout = Ms(ReplyTimeout) });
            await page.WaitForFunctionAsync(AtBottom, null, new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await jump.CountAsync());
        });
    }

    [Fact]
    public async Task Previous_and_next_switch_between_versions_of_a_reply_and_the_choice_is_stored()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "list-versions-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            await SendAsync(page, "Lily wanted to play");
            var reply = page.Locator(".chat-message.assistant");
            var first = await reply.GetAttributeAsync("data-id");
            var firstText = (await reply.Locator(".message-text").InnerTextAsync()).Trim();
            Assert.Equal(0, await reply.Locator(".version-previous").CountAsync()); // One version: no buttons.

            await page.ClickAsync(".chat-message.assistant .regenerate-button");
            await page.WaitForFunctionAsync(
                "first => { const m = document.querySelector('.chat-message.assistant'); return m && m.dataset.id !== first && (m.querySelector('.message-text')?.textContent ?? '').trim().length > 0; }",
                first, new() { Timeout = Ms(ReplyTimeout) });
            await ChatPageDriver.StopIfStillStreamingAsync(page); // The tiny model may write for a while: its first words are enough.

            await page.WaitForFunctionAsync(
                "first => { const m = document.querySelector('.chat-message.assistant[data-id]:not([data-state=\"streaming\"])'); return m && m.dataset.id !== first; }",
                first, new() { Timeout = Ms(ReplyTimeout) });
            await page.WaitForSelectorAsync("#send-button:not([disabled])", new() { Timeout = Ms(ReplyTimeout) });
            var second = await reply.GetAttributeAsync("data-id");
            Assert.Equal("2 / 2", (await reply.Locator(".message-version").InnerTextAsync()).Trim());
            Assert.True(await reply.Locator(".version-next").IsDisabledAsync());
            Assert.Equal("Previous version", await reply.Locator(".version-previous").GetAttributeAsync("aria-label"));

            // Previous shows the first reply again.
            await reply.Locator(".version-previous:not([disabled])").ClickAsync();
            await page.WaitForFunctionAsync(
                "first => document.querySelector('.chat-message.assistant')?.dataset.id === first", first, new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("1 / 2", (await reply.Locator(".message-version").InnerTextAsync()).Trim());
            Assert.Equal(firstText, (await reply.Locator(".message-text").InnerTextAsync()).Trim());
            Assert.True(await reply.Locator(".version-previous").IsDisabledAsync());
            Assert.False(await reply.Locator(".version-next").IsDisabledAsync());

            // The gateway keeps the choice: a reload shows the first version.
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForSelectorAsync($".chat-message.assistant[data-id='{first}']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("1 / 2", (await reply.Locator(".message-version").InnerTextAsync()).Trim());
            Assert.Equal(firstText, (await reply.Locator(".message-text").InnerTextAsync()).Trim());

            // Next goes back to the second.
            await reply.Locator(".version-next:not([disabled])").ClickAsync();
            await page.WaitForSelectorAsync($".chat-message.assistant[data-id='{second}']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("2 / 2", (await reply.Locator(".message-version").InnerTextAsync()).Trim());
        });
    }

    [Fact]
    public async Task Message_times_are_shown_in_the_browsers_time_zone_not_the_servers()
    {
        // A zone that differs from this machine's, so the server's own zone would show another time.
        var zoneId = TimeZoneInfo.Local.BaseUtcOffset == TimeSpan.FromHours(9) ? "America/New_York" : "Asia/Tokyo";
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await ImportConversationAsync(gateway, ExportJson($"Time zones {Guid.NewGuid():N}", "What time is it?", "Tea time."));
        using var stored = System.Text.Json.JsonDocument.Parse(await gateway.GetStringAsync(new Uri($"v1/conversations/{id}/messages", UriKind.Relative)));
        var sent = stored.RootElement.GetProperty("data")[0].GetProperty("created_at").GetDateTimeOffset();
        var expected = TimeZoneInfo.ConvertTime(sent, TimeZoneInfo.FindSystemTimeZoneById(zoneId)).ToString("HH:mm", CultureInfo.InvariantCulture);
        Assert.NotEqual(expected, sent.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture));

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine, timeZone: zoneId);
        await _chat.RunAsync(page, "time-zone-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            await page.WaitForFunctionAsync("time => document.querySelector('.chat-message.user time')?.textContent.trim() === time",
                expected, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    /// <summary>A word unique to message <paramref name="index"/> of an imported conversation.</summary>
    private static string Marker(int index) => string.Create(CultureInfo.InvariantCulture, $"m{index:000}x");

    /// <summary>
    /// Imports a conversation of <paramref name="count"/> messages (questions and replies in turn, some replies several
    /// paragraphs long) through the gateway's import endpoint; answers its id.
    /// </summary>
    private static Task<Guid> ImportLongConversationAsync(HttpClient gateway, int count)
    {
        var texts = Enumerable.Range(0, count).Select(i => i % 2 == 0
            ? $"{Marker(i)} What happened next?"
            : i % 10 == 1 && i < count - 1
                ? $"{Marker(i)} Once upon a time there was a little dog.\n\nHe liked to run in the park with his friends.\n\n- a ball\n- a stick\n- a bone"
                : $"{Marker(i)} The dog was happy.").ToArray();
        return ImportConversationAsync(gateway, ExportJson($"Long story {Guid.NewGuid():N}", texts));
    }
}
