using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The error bars a person meets, each with the gateway's reason, Retry, and the message kept: in Chromium, against
/// the real gateway and the real tiny model.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ErrorBarTests(AppFixture app, ITestOutputHelper output)
{
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task A_request_the_gateway_rejects_shows_its_reason_and_keeps_the_message()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        // OPEA's RAG template needs {context}; this conversation has none, so the gateway refuses every message.
        var id = await CreateConversationWithAsync(gateway, new { title = "Needs context", prompt_id = "opea-chatqna" });

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "rejected-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            await page.ClickAsync("#chat-input");
            await page.Keyboard.TypeAsync("What is the capital of France?");
            await page.Keyboard.PressAsync("Enter");

            var bar = page.Locator("#chat-error[data-failure='Rejected']");
            await bar.WaitForAsync(new() { Timeout = Ms(ReplyTimeout) });
            var text = await bar.InnerTextAsync();
            output.WriteLine(text);
            Assert.Contains("Request rejected", text, StringComparison.Ordinal);
            Assert.Contains("context", text, StringComparison.Ordinal);
            Assert.Equal(1, await bar.Locator("#retry-button").CountAsync());
            await page.WaitForFunctionAsync("() => document.getElementById('chat-input')?.value === 'What is the capital of France?'", null, new() { Timeout = Ms(ReadyTimeout) });
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-rejected.png")}");
        });
    }

    [Fact]
    public async Task A_rate_limited_send_says_when_to_retry_and_retry_then_sends_the_kept_message()
    {
        // A gateway of its own with a three-request bucket (three back each second), in front of the shared inference,
        // and a web frontend for it with an ordinary key (not a forwarder's: everyone with it shares one bucket). The
        // test keeps that bucket empty with the same key.
        const string Key = "shared-key";
        using var gateway = GatewayHost.Start(app.InferenceBaseUri, ("ApiKeys:0", Key), ("InferenceApiKey", AppFixture.InferenceApiKey),
            ("RateLimit:Enabled", "true"), ("RateLimit:BurstLimit", "3"), ("RateLimit:RequestsPerSecond", "3"));
        using var web = WebFrontendHost.Start(gateway.BaseAddress, ("ChatQnA:ApiKey", Key));
        var chat = new ChatPageDriver(web.BaseAddress, output.WriteLine);
        const string Text = "Once upon a time";

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await chat.RunAsync(page, "rate-limited-failure.png", async () =>
        {
            await chat.OpenAsync(page, string.Empty);
            await TypeAsync(page, Text);

            using var drain = new CancellationTokenSource();
            var draining = Task.Run(async () =>
            {
                while (!drain.IsCancellationRequested)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/prompts", UriKind.Relative));
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
                    using var response = await gateway.Client.SendAsync(request, CancellationToken.None);
                    await Task.Delay(5, CancellationToken.None);
                }
            });
            try
            {
                await Task.Delay(200);
                await page.ClickAsync("#send-button:not([disabled])");
                var bar = page.Locator("#chat-error[data-failure='RateLimited']");
                await bar.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
                var text = await bar.InnerTextAsync();
                output.WriteLine(text);
                Assert.Contains("Too many requests", text, StringComparison.Ordinal);
                Assert.Matches(@"(Retry after|Try again in) \d+ s\.", text);
                Assert.Equal("warning", await bar.GetAttributeAsync("intent"));
                await page.WaitForFunctionAsync("text => document.getElementById('chat-input')?.value === text", Text, new() { Timeout = Ms(ReadyTimeout) });
            }
            finally
            {
                await drain.CancelAsync();
                await draining;
            }

            // After the wait (the bucket full again: the send and the page's reload of the branch need three),
            // Retry sends the kept message and the reply comes.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await page.ClickAsync("#retry-button");
            await page.WaitForSelectorAsync(".chat-message.assistant[data-id]:not([data-state='streaming'])", new() { Timeout = Ms(ReplyTimeout) });
            Assert.Equal(Text, (await page.Locator(".chat-message.user .message-text").InnerTextAsync()).Trim());
            Assert.Equal(0, await page.Locator("#chat-error").CountAsync());
        });
    }
}
