using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.Security;

/// <summary>The chat page under its CSP in Chromium, through a gateway with keys to inference with its key.</summary>
[Collection(SecurityCollection.Name)]
public sealed class PageSecurityTests(SecurityHosts hosts, ITestOutputHelper output)
{
    [Fact]
    public async Task The_page_works_under_its_csp_with_no_violation()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        // Recorded from before the page's own scripts run: every script, style, connection or frame the CSP refused.
        await page.AddInitScriptAsync(
            "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));");
        var chat = new ChatPageDriver(hosts.Web.BaseAddress, output.WriteLine);
        await chat.RunAsync(page, "security-csp-failure.png", async () =>
        {
            await chat.OpenAsync(page, string.Empty);

            // The header buttons are wired by app.js now that onclick attributes would be refused.
            await page.ClickAsync("#shortcuts-button");
            await page.WaitForSelectorAsync("#shortcuts-dialog[open]", new() { Timeout = Ms(ReadyTimeout) });
            await page.Keyboard.PressAsync("Escape");

            // A reply streams over the circuit's WebSocket (connect-src 'self').
            await SendAsync(page, "Once upon a time");
            Assert.True(await page.Locator(".chat-message.assistant[data-id]").CountAsync() >= 1);

            var violations = await page.EvaluateAsync<string[]>("() => window.__cspViolations");
            Assert.Empty(violations);
        });
    }
}
