using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The chat page in a real browser (Debian's Chromium, driven by Playwright) against the whole app: web, gateway
/// and inference on the real tiny model.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ChatPageTests(AppFixture app, ITestOutputHelper output)
{
    private const string Prompt = "Once upon a time";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_prompt_typed_and_sent_streams_back_a_reply_from_the_model()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);

        try
        {
            await page.GotoAsync(app.WebBaseUri.ToString());

            // The page marks itself ready once the circuit is live and the Fluent textarea is wired up:
            // text typed before that would be lost.
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Milliseconds(ReadyTimeout) });

            await page.ClickAsync("#chat-input");
            await page.Keyboard.TypeAsync(Prompt);
            Assert.Equal(Prompt, await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value"));

            // Playwright reports <fluent-button disabled> as enabled, hence the attribute selector.
            await page.ClickAsync("#send-button:not([disabled])");

            var user = page.Locator(".chat-message.user .message-text");
            await user.WaitForAsync(new() { Timeout = Milliseconds(ReadyTimeout) });
            Assert.Equal(Prompt, (await user.InnerTextAsync()).Trim());

            // Real generated text arrives and grows while it streams...
            await page.WaitForFunctionAsync(
                "() => (document.querySelector('.chat-message.assistant .message-text')?.textContent ?? '').trim().length > 0",
                null,
                new() { Timeout = Milliseconds(ReplyTimeout) });

            // ...until the reply is complete and the button can send again.
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='complete']", new() { Timeout = Milliseconds(ReplyTimeout) });
            await page.WaitForSelectorAsync("#send-button:not([disabled])", new() { Timeout = Milliseconds(ReplyTimeout) });

            var reply = (await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()).Trim();
            output.WriteLine($"reply: {reply}");
            Assert.NotEmpty(reply);
            Assert.DoesNotContain('\uFFFD', reply);
            Assert.Equal(0, await page.Locator("#chat-error").CountAsync());
            Assert.Equal(0, await page.Locator("#service-status").CountAsync());
            Assert.Equal(string.Empty, await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value"));

            await page.Mouse.MoveAsync(0, 0); // No hover highlight on the Send button in the picture.
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-light.png")}");
        }
        catch
        {
            output.WriteLine($"Screenshot of the failure: {await Browser.SaveScreenshotAsync(page, "chat-page-failure.png")}");
            throw;
        }
    }

    private static float Milliseconds(TimeSpan timeout) => (float)timeout.TotalMilliseconds;
}
