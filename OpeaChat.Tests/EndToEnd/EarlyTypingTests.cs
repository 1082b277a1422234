using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>A person types as soon as the box shows, before the page is interactive: nothing typed is lost.</summary>
[Collection(AppCollection.Name)]
public sealed class EarlyTypingTests(AppFixture app, ITestOutputHelper output)
{
    private const string Story = "Once upon a time there was a fox";

    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task Text_and_enter_typed_the_moment_the_page_appears_are_sent_and_answered()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "early-typing", async () =>
        {
            // No ready wait: only what a person sees, the box (Playwright's click waits until it is visible).
            await page.GotoAsync(app.WebBaseUri.ToString(), new() { WaitUntil = WaitUntilState.Commit });
            await page.ClickAsync("#chat-input", new() { Timeout = Ms(ReadyTimeout) });
            output.WriteLine($"Page ready when typing began: {await page.EvaluateAsync<string?>("() => document.getElementById('chat-page')?.dataset.ready ?? null")}");
            await page.Keyboard.TypeAsync(Story);
            await page.Keyboard.PressAsync("Enter");

            var user = page.Locator(".chat-message.user .message-text");
            await user.WaitForAsync(new() { Timeout = Ms(ReplyTimeout) });
            Assert.Equal(Story, (await user.InnerTextAsync()).Trim());
            await page.WaitForSelectorAsync(".chat-message.assistant[data-id]:not([data-state='streaming'])", new() { Timeout = Ms(ReplyTimeout) });
            Assert.NotEmpty((await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()).Trim());
            Assert.Equal(string.Empty, await InputTextAsync(page));
        });
    }
}
