using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Tests.ChatQnA;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The gateway owns a running reply: a page reloaded during it, or a second tab, shows the text so far and follows it
/// to the end; Stop in any tab stops it. The replies are started with <c>ignore_eos</c> so they last while the pages
/// reload (the tiny model would otherwise end a story in a moment).
/// </summary>
[Collection(LongContextAppCollection.Name)]
public sealed class RunningReplyPageTests(LongContextAppFixture app, ITestOutputHelper output)
{
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    private const string Streaming = ".chat-message.assistant[data-state='streaming']";

    [Fact]
    public async Task A_page_reloaded_during_a_reply_and_a_second_tab_show_it_and_follow_it_to_the_end()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var (id, response) = await StartReplyAsync(gateway, maxTokens: 3000);
        using var _ = response;
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        var second = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "running-reply-reload.png", async () =>
        {
            await page.GotoAsync(new Uri(app.WebBaseUri, $"/c/{id}").ToString());
            await second.GotoAsync(new Uri(app.WebBaseUri, $"/c/{id}").ToString());
            var before = await StreamingTextAsync(page);

            // The person reloads while it streams: the reloaded page shows at least what it showed, still streaming.
            await page.ReloadAsync();
            var after = await StreamingTextAsync(page);
            Assert.StartsWith(LettersAndDigits(before), LettersAndDigits(after), StringComparison.Ordinal);

            // Both tabs follow it to its end; what they show is what the gateway stored, complete.
            var done = ".chat-message.assistant[data-state='complete'][data-id]";
            await page.WaitForSelectorAsync(done, new() { Timeout = Ms(ReplyTimeout) });
            await second.WaitForSelectorAsync(done, new() { Timeout = Ms(ReplyTimeout) });
            var stored = await LastMessageAsync(gateway, id);
            Assert.Equal("complete", stored.GetProperty("status").GetString());
            Assert.Equal(3000, stored.GetProperty("completion_tokens").GetInt32());
            // Compared by their letters and digits: Markdown rendering turns the tiny model's stray punctuation into markup.
            var text = LettersAndDigits(stored.GetProperty("content").GetString()!);
            Assert.Equal(text, LettersAndDigits(await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()));
            Assert.Equal(text, LettersAndDigits(await second.Locator(".chat-message.assistant .message-text").InnerTextAsync()));
        });
    }

    [Fact]
    public async Task A_reply_asked_for_on_the_page_goes_on_through_a_reload_and_ends_complete()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "running-reply-page-reload.png", async () =>
        {
            // A conversation whose replies stop at 1500 tokens (the tiny model rarely ends one itself in this context).
            // Should a story end before the reload lands, the person asks again: one of three replies must still be
            // streaming on the reloaded page; every one must end complete, never stopped.
            var reloadedMidReply = false;
            for (var attempt = 0; attempt < 3 && !reloadedMidReply; attempt++)
            {
                var id = await CreateConversationWithAsync(gateway, new { title = "Asked on the page", max_tokens = 1500 });
                await _chat.OpenAsync(page, $"/c/{id}");
                await TypeAsync(page, "Once upon a time");
                await page.Keyboard.PressAsync("Enter");
                await StreamingTextAsync(page);
                await page.ReloadAsync();
                await page.Locator(".chat-message.assistant").WaitForAsync(new() { Timeout = Ms(ReplyTimeout) });
                reloadedMidReply = await page.Locator(Streaming).CountAsync() > 0;
                await page.WaitForSelectorAsync(".chat-message.assistant[data-id]:not([data-state='streaming'])", new() { Timeout = Ms(ReplyTimeout) });

                var stored = await LastMessageAsync(gateway, id);
                Assert.Equal("complete", stored.GetProperty("status").GetString());
                Assert.Equal(LettersAndDigits(stored.GetProperty("content").GetString()!), LettersAndDigits(await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()));
                output.WriteLine($"Attempt {attempt + 1}: still streaming after the reload: {reloadedMidReply}");
            }

            Assert.True(reloadedMidReply, "Each of three replies ended before the reload: none was followed after it.");
        });
    }

    [Fact]
    public async Task Stop_in_a_tab_that_did_not_start_the_reply_stops_it_for_good()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var (id, response) = await StartReplyAsync(gateway, maxTokens: 30000);
        using var _ = response;
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "running-reply-stop.png", async () =>
        {
            await page.GotoAsync(new Uri(app.WebBaseUri, $"/c/{id}").ToString());
            await StreamingTextAsync(page);
            await page.Locator("#stop-button").ClickAsync(new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='stopped'][data-id]", new() { Timeout = Ms(ReplyTimeout) });

            var stored = await LastMessageAsync(gateway, id);
            Assert.Equal("stopped", stored.GetProperty("status").GetString());
            // Stopped, not just no longer shown: the stored text does not grow any more.
            await Task.Delay(1000);
            Assert.Equal(stored.GetProperty("content").GetString(), (await LastMessageAsync(gateway, id)).GetProperty("content").GetString());
        });
    }

    /// <summary>
    /// A reply started through the gateway's API (another client, or a tab that went away), with text already streamed;
    /// the response is left unread: the reply must not depend on it.
    /// </summary>
    private static async Task<(Guid Id, HttpResponseMessage Response)> StartReplyAsync(HttpClient gateway, int maxTokens)
    {
        var id = await CreateConversationAsync(gateway, "A story that goes on");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                conversation_id = id, messages = OpenAiCalls.User("Once upon a time"), max_tokens = maxTokens, ignore_eos = true, stream = true,
                continue_on_disconnect = true,
            }),
        };
        var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (id, response);
    }

    /// <summary>The streaming reply's text once the page shows some (what a person waits for before reloading).</summary>
    private static async Task<string> StreamingTextAsync(IPage page)
    {
        await page.WaitForFunctionAsync(
            $"() => {{ const m = document.querySelector(\"{Streaming} .message-text\"); return m && m.innerText.trim().length > 0; }}",
            null, new() { Timeout = Ms(ReplyTimeout) });
        return (await page.Locator($"{Streaming} .message-text").InnerTextAsync()).Trim();
    }

    /// <summary>The letters and digits of a text, which Markdown rendering keeps as they are.</summary>
    private static string LettersAndDigits(string text) => string.Concat(text.Where(char.IsLetterOrDigit));

    private static async Task<JsonElement> LastMessageAsync(HttpClient gateway, Guid id)
    {
        using var messages = JsonDocument.Parse(await gateway.GetStringAsync($"/v1/conversations/{id}/messages"));
        return messages.RootElement.GetProperty("data").EnumerateArray().Last().Clone();
    }
}
