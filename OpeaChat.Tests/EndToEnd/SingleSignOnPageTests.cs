using System.Collections.Concurrent;
using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// Single sign-on against a real OpenID Connect provider that the test starts (OpenIddict on loopback): the web's
/// code flow with PKCE, the gateway's accounts made at the first sign-in, the admin claim mapped to the role. Real
/// hosts (inference on the test model, the gateway with its SQLite store, the web) and a real browser.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class SingleSignOnPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ProviderName = "Test provider";

    private InferenceHost _inference = null!;
    private GatewayHost _gateway = null!;
    private WebFrontendHost _web = null!;
    private TestOpenIdProvider _provider = null!;
    private readonly ConcurrentQueue<string> _webLogs = new();

    public async Task InitializeAsync()
    {
        _inference = InferenceHost.Start(("ContextSize", "2048"));
        await _inference.WaitUntilReadyAsync();
        _gateway = GatewayHost.Start(_inference.BaseAddress,
            ("ForwarderApiKeys:0", AccountsPageTests.ForwarderKey), ("Accounts:Enabled", "true"), ("Accounts:SignUp", "closed"),
            ("Accounts:PasswordMinLength", "8"), ("Logging:LogLevel:Default", "Warning"));
        _provider = await TestOpenIdProvider.StartAsync();
        _web = WebFrontendHost.Start(_gateway.BaseAddress, _webLogs,
            ("ChatQnA:ApiKey", AccountsPageTests.ForwarderKey),
            ("SingleSignOn:Authority", _provider.Authority.ToString()),
            ("SingleSignOn:ClientId", TestOpenIdProvider.ClientId),
            ("SingleSignOn:ClientSecret", TestOpenIdProvider.ClientSecret),
            ("SingleSignOn:DisplayName", ProviderName),
            ("SingleSignOn:AdminClaim", "groups"),
            ("SingleSignOn:AdminClaimValue", TestOpenIdProvider.AdminGroup),
            ("SingleSignOn:RequireHttpsMetadata", "false"),
            ("Logging:LogLevel:OpeaChat", "Information"));
        await _provider.RegisterClientAsync(new Uri(_web.BaseAddress, "signin-oidc"));
    }

    public async Task DisposeAsync()
    {
        // What the web said, when it threw: a failing run's reason.
        foreach (var line in _webLogs.Where(line => line.Contains("Exception", StringComparison.Ordinal)).Take(5))
        {
            output.WriteLine("web log: " + line);
        }

        _web.Dispose();
        await _provider.DisposeAsync();
        _gateway.Dispose();
        _inference.Dispose();
    }

    [Fact]
    public async Task The_first_sign_in_makes_the_account_the_admin_claim_makes_an_admin_and_a_cancel_is_said()
    {
        var chat = new ChatPageDriver(_web.BaseAddress, output.WriteLine);
        await using var browser = await Browser.LaunchAsync();
        var alice = await browser.NewPageAsync(width: 1280, log: output.WriteLine);
        var erin = await browser.NewPageAsync(log: output.WriteLine);
        var dana = await browser.NewPageAsync(width: 1280, log: output.WriteLine);

        await chat.RunAsync(alice, "sso-alice-failure.png", async () =>
        {
            // A fresh install: the first admin may come by password (or by the provider, which the page also offers).
            await alice.GotoAsync(_web.BaseAddress.ToString());
            await alice.Locator("h1", new() { HasText = "Welcome to OpeaChat" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal($"Sign in with {ProviderName}", await alice.Locator("#single-sign-on").InnerTextAsync());
            await alice.GetByText("The first person to sign in becomes the admin.").WaitForAsync();
            await AccountsPageTests.SignUpAsync(alice, "alice");
            await alice.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
        });

        string erinsChat = null!;
        await chat.RunAsync(erin, "sso-erin-failure.png", async () =>
        {
            // Sign-up by password is closed here, but the provider's people are let in: Erin's account is made now.
            await erin.GotoAsync(_web.BaseAddress.ToString());
            await erin.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await erin.ClickAsync("#single-sign-on");
            await SignInAtProviderAsync(erin, "erin", "not her password");
            await erin.Locator("#idp-error").WaitForAsync();
            await SignInAtProviderAsync(erin, "erin", TestOpenIdProvider.Password);
            await erin.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("Erin Walsh", await erin.Locator("#signed-in-name").InnerTextAsync());
            // Not in the admin group: a member. Her password is the provider's, so the page offers no password change.
            Assert.Equal(0, await erin.Locator(".account-badge-link", new() { HasText = "People" }).CountAsync());
            Assert.Equal(0, await erin.Locator(".account-badge-link", new() { HasText = "Password" }).CountAsync());
            await SendAsync(erin, "Erin asks where the owl sleeps.");
            await erin.WaitForSelectorAsync(".conversation-item[data-id]", new() { Timeout = Ms(ReadyTimeout) });
            erinsChat = (await erin.Locator(".conversation-item[data-id]").First.GetAttributeAsync("data-id"))!;
        });

        await chat.RunAsync(dana, "sso-dana-failure.png", async () =>
        {
            // Cancelled at the provider: back on the sign-in page, which says so, with no session.
            await dana.GotoAsync(new Uri(_web.BaseAddress, "account/sign-in").ToString());
            await dana.ClickAsync("#single-sign-on");
            await dana.Locator("h1", new() { HasText = ProviderName }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await dana.ClickAsync("button[name=cancel]");
            var refusal = dana.Locator(".account-error", new() { HasText = "Single sign-on was cancelled" });
            await refusal.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await dana.Locator("#signed-in-name").CountAsync());

            // In the admin group: an admin at her first sign-in, with the People page.
            await dana.ClickAsync("#single-sign-on");
            await SignInAtProviderAsync(dana, "dana", TestOpenIdProvider.Password);
            await dana.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("Dana Scully", await dana.Locator("#signed-in-name").InnerTextAsync());
            Assert.Equal(0, await dana.Locator(".conversation-item").CountAsync()); // Erin's chat is hers alone.
            await dana.ClickAsync(".account-badge-link:has-text('People')");
            var danasRow = dana.Locator("tr", new() { HasText = "Dana Scully" });
            var erinsRow = dana.Locator("tr", new() { HasText = "Erin Walsh" });
            await danasRow.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            // The columns: user name, name shown, role, status, locked, signs in with.
            Assert.Equal("admin", await danasRow.Locator("td").Nth(2).InnerTextAsync());
            Assert.Equal("OpenID Connect", await danasRow.Locator("td").Nth(5).InnerTextAsync());
            Assert.Equal("member", await erinsRow.Locator("td").Nth(2).InnerTextAsync());
            Assert.Equal("approved", await erinsRow.Locator("td").Nth(3).InnerTextAsync());
            Assert.Equal("OpenID Connect", await erinsRow.Locator("td").Nth(5).InnerTextAsync());
            Assert.Equal("password", await dana.Locator("tr[data-user='alice'] td").Nth(5).InnerTextAsync());
        });

        await chat.RunAsync(erin, "sso-erin-again-failure.png", async () =>
        {
            // Signed out and in again through the provider: the same account, her chat still there.
            await erin.ClickAsync("#sign-out");
            await erin.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await erin.ClickAsync("#single-sign-on");
            await SignInAtProviderAsync(erin, "erin", TestOpenIdProvider.Password);
            await erin.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            var ids = await erin.Locator(".conversation-item[data-id]").EvaluateAllAsync<string[]>("items => items.map(item => item.dataset.id)");
            Assert.Equal([erinsChat], ids);
        });

        Assert.Equal(["erin", "dana", "erin"], _provider.SignIns);
        // The client secret never reaches the web's logs.
        var logged = string.Join('\n', _webLogs);
        Assert.Contains("signed in through", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(TestOpenIdProvider.ClientSecret, logged, StringComparison.Ordinal);
    }

    /// <summary>The provider's own form, as a person fills it in.</summary>
    private static async Task SignInAtProviderAsync(IPage page, string userName, string password)
    {
        await page.Locator("h1", new() { HasText = ProviderName }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
        await page.FillAsync("#idp-user", userName);
        await page.FillAsync("#idp-password", password);
        await page.ClickAsync("button[name=sign-in]");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }
}
