using Microsoft.Playwright;
using Xunit.Abstractions;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Steps the browser tests of the chat page share: open it once it is ready, send a prompt, keep a failure's screenshot.</summary>
internal static class ChatPageSteps
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(120);

    public static async Task OpenAsync(IPage page, AppFixture app, string path)
    {
        await page.GotoAsync(new Uri(app.WebBaseUri, path).ToString());
        // The page marks itself ready once the circuit is live, the list is loaded and the Fluent textarea is
        // wired up: text typed before that would be lost.
        await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
    }

    /// <summary>Types <paramref name="text"/>, sends it and waits until its reply is stored and sending is possible again.</summary>
    public static async Task SendAsync(IPage page, string text)
    {
        var before = await page.Locator(".chat-message.assistant").CountAsync();
        await page.ClickAsync("#chat-input");
        await page.Keyboard.TypeAsync(text);
        Assert.Equal(text, await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value"));
        // Playwright reports <fluent-button disabled> as enabled, hence the attribute selector.
        await page.ClickAsync("#send-button:not([disabled])");
        await page.WaitForFunctionAsync(
            "before => document.querySelectorAll('.chat-message.assistant[data-id]:not([data-state=\"streaming\"])').length > before",
            before, new() { Timeout = Ms(ReplyTimeout) });
        await page.WaitForSelectorAsync("#send-button:not([disabled])", new() { Timeout = Ms(ReplyTimeout) });
    }

    /// <summary>Runs <paramref name="test"/>; if it fails, saves a screenshot of the page as it was.</summary>
    public static async Task RunAsync(IPage page, ITestOutputHelper output, string failureShot, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            output.WriteLine($"Screenshot of the failure: {await Browser.SaveScreenshotAsync(page, failureShot)}");
            throw;
        }
    }

    public static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;
}
