using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// A team's server: the gateway keeps accounts, the web signs people in. Two people in two browsers (their own
/// cookies), on real hosts: inference on the test model, the gateway with its SQLite store, the web frontend.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class AccountsPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    internal const string ForwarderKey = "test-forwarder-key-for-the-web";
    internal const string Password = "correct horse battery";

    private InferenceHost _inference = null!;
    private GatewayHost _gateway = null!;
    private WebFrontendHost _web = null!;

    public async Task InitializeAsync()
    {
        // 2,048 cells shared by 4 sequences keep the test model's replies short: the page is under test, not the model.
        _inference = InferenceHost.Start(("ContextSize", "2048"));
        await _inference.WaitUntilReadyAsync();
        _gateway = GatewayHost.Start(_inference.BaseAddress,
            ("ForwarderApiKeys:0", ForwarderKey), ("Accounts:Enabled", "true"), ("Accounts:SignUp", "open"),
            ("Accounts:PasswordMinLength", "8"), ("Logging:LogLevel:Default", "Warning"));
        _web = WebFrontendHost.Start(_gateway.BaseAddress, ("ChatQnA:ApiKey", ForwarderKey));
    }

    public Task DisposeAsync()
    {
        _web.Dispose();
        _gateway.Dispose();
        _inference.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Two_people_in_two_browsers_sign_up_and_neither_sees_the_others_chats()
    {
        var chat = new ChatPageDriver(_web.BaseAddress, output.WriteLine);
        await using var browser = await Browser.LaunchAsync();
        var alice = await browser.NewPageAsync(log: output.WriteLine);
        var bob = await browser.NewPageAsync(log: output.WriteLine);

        await chat.RunAsync(alice, "accounts-alice-failure.png", async () =>
        {
            // A fresh install sends the first visitor to make the admin account.
            await alice.GotoAsync(_web.BaseAddress.ToString());
            await WaitForPathAsync(alice, "^/account/sign-up$");
            Assert.Equal("Welcome to OpeaChat", await alice.Locator("h1").InnerTextAsync());
            await SignUpAsync(alice, "alice");
            await alice.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("alice", await alice.Locator("#signed-in-name").InnerTextAsync());
            Assert.Equal(0, await alice.Locator("#local-mode").CountAsync());
            await SendAsync(alice, "What did Alice see in the garden?");
            await alice.WaitForSelectorAsync(".conversation-item[data-id]", new() { Timeout = Ms(ReadyTimeout) });
        });
        var alicesChat = await alice.Locator(".conversation-item[data-id]").First.GetAttributeAsync("data-id");

        await chat.RunAsync(bob, "accounts-bob-failure.png", async () =>
        {
            // Now an admin exists: a stranger is asked to sign in, and may sign up (sign-up is open here).
            await bob.GotoAsync(new Uri(_web.BaseAddress, $"c/{alicesChat}").ToString());
            await WaitForPathAsync(bob, "^/account/sign-in");
            await bob.ClickAsync("text=Sign up");
            await WaitForPathAsync(bob, "^/account/sign-up$");
            // Blazor's enhanced navigation moves the address before it patches the page: wait for what a person sees.
            await bob.Locator("h1", new() { HasText = "Sign up" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("Sign up", await bob.Locator("h1").InnerTextAsync());
            await SignUpAsync(bob, "bob");
            await bob.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("bob", await bob.Locator("#signed-in-name").InnerTextAsync());
            Assert.Equal(0, await bob.Locator(".conversation-item").CountAsync());

            // Alice's chat by its address: not found, and nothing of hers shows.
            await bob.GotoAsync(new Uri(_web.BaseAddress, $"c/{alicesChat}").ToString());
            await bob.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await bob.WaitForSelectorAsync("#chat-error", new() { Timeout = Ms(ReadyTimeout) });
            Assert.DoesNotContain("Alice", await bob.Locator("#chat-page").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await bob.Locator(".conversation-item").CountAsync());

            await bob.GotoAsync(_web.BaseAddress.ToString());
            await bob.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await SendAsync(bob, "Where did Bob put the ball?");
            await bob.WaitForSelectorAsync(".conversation-item[data-id]", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(1, await bob.Locator(".conversation-item").CountAsync());
            Assert.NotEqual(alicesChat, await bob.Locator(".conversation-item[data-id]").First.GetAttributeAsync("data-id"));

            // Bob's export link of Alice's chat (the web passes downloads through): not found, not her text.
            var export = await bob.APIRequest.GetAsync(new Uri(_web.BaseAddress, $"export/{alicesChat}?format=json").ToString());
            Assert.Equal(404, export.Status);
        });

        await chat.RunAsync(alice, "accounts-alice-again-failure.png", async () =>
        {
            // Alice's list still holds her chat alone.
            await alice.ReloadAsync();
            await alice.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            var ids = await alice.Locator(".conversation-item[data-id]").EvaluateAllAsync<string[]>("items => items.map(item => item.dataset.id)");
            Assert.Equal([alicesChat!], ids);

            // Signing out ends the session: the chat is behind the sign-in page again.
            await alice.ClickAsync("#sign-out");
            await WaitForPathAsync(alice, "^/account/sign-in$");
            await alice.GotoAsync(_web.BaseAddress.ToString());
            await WaitForPathAsync(alice, "^/account/sign-in");

            // A wrong password is refused with the gateway's reason; the right one signs her in, back to her chat.
            await SignInAsync(alice, "alice", "not her password");
            var error = await alice.Locator(".account-error").InnerTextAsync();
            output.WriteLine(error);
            Assert.Contains("attempt", error, StringComparison.OrdinalIgnoreCase);
            await SignInAsync(alice, "alice", Password);
            await alice.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal([alicesChat!], await alice.Locator(".conversation-item[data-id]").EvaluateAllAsync<string[]>("items => items.map(item => item.dataset.id)"));
        });
    }

    [Fact]
    public async Task A_personal_key_made_in_the_page_acts_as_its_person_and_stops_at_once_when_revoked()
    {
        var chat = new ChatPageDriver(_web.BaseAddress, output.WriteLine);
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        using var api = new HttpClient { BaseAddress = _gateway.BaseAddress };

        await chat.RunAsync(page, "accounts-keys-failure.png", async () =>
        {
            await page.GotoAsync(new Uri(_web.BaseAddress, "account/sign-up").ToString());
            await SignUpAsync(page, "carol");
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await SendAsync(page, "Carol asks about the moon.");

            await page.ClickAsync("a.account-badge-link[href='account/keys']");
            await WaitForPathAsync(page, "^/account/keys$");
            await page.FillAsync("#key-name", "laptop");
            await page.ClickAsync("text=Create key");
            var key = (await page.Locator("#new-api-key").InnerTextAsync()).Trim();
            Assert.StartsWith("ocp_", key, StringComparison.Ordinal);
            // The list names the key by its prefix, never the whole of it.
            var table = await page.Locator(".account-table").InnerTextAsync();
            Assert.Contains("laptop", table, StringComparison.Ordinal);
            Assert.DoesNotContain(key, table, StringComparison.Ordinal);

            // The key acts as Carol: her one conversation, and nobody else's.
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using (var listed = await api.GetAsync(new Uri("v1/conversations", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
                using var json = JsonDocument.Parse(await listed.Content.ReadAsStringAsync());
                Assert.Equal(1, json.RootElement.GetProperty("total").GetInt32());
            }

            // Revoked in the page: the next call with it is refused.
            await page.ClickAsync("button[aria-label='Revoke laptop']");
            await page.WaitForSelectorAsync("text=No keys yet.");
            using var refused = await api.GetAsync(new Uri("v1/conversations", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        });
    }

    [Fact]
    public async Task A_changed_password_keeps_this_browser_signed_in_and_ends_every_other_session()
    {
        const string NewPassword = "a staple for the horse";
        var chat = new ChatPageDriver(_web.BaseAddress, output.WriteLine);
        await using var browser = await Browser.LaunchAsync();
        var here = await browser.NewPageAsync(log: output.WriteLine);
        var elsewhere = await browser.NewPageAsync(log: output.WriteLine);
        using var api = new HttpClient { BaseAddress = _gateway.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ForwarderKey);
        string? accountId = null, oldStamp = null;

        await chat.RunAsync(here, "accounts-password-failure.png", async () =>
        {
            await here.GotoAsync(new Uri(_web.BaseAddress, "account/sign-up").ToString());
            await here.Locator("h1", new() { HasText = "Welcome to OpeaChat" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await SignUpAsync(here, "dora");
            await here.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });

            // Dora is signed in in a second browser too, before the change.
            await elsewhere.GotoAsync(new Uri(_web.BaseAddress, "account/sign-in").ToString());
            await elsewhere.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await SignInAsync(elsewhere, "dora", Password);
            await elsewhere.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            (accountId, oldStamp) = await CheckPasswordAsync(api, "dora", Password);

            await here.GetByRole(AriaRole.Link, new() { Name = "Password", Exact = true }).ClickAsync();
            await here.Locator("h1", new() { HasText = "Change your password" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });

            // Each mistake is said in the form, and nothing changes.
            await ChangePasswordAsync(here, "not her password", NewPassword, NewPassword);
            await here.GetByText("The current password is not right.").WaitForAsync();
            await ChangePasswordAsync(here, Password, "short", "short");
            var tooShort = here.Locator(".account-field-error", new() { HasText = "at least 8" });
            await tooShort.WaitForAsync();
            output.WriteLine(await tooShort.InnerTextAsync());
            await ChangePasswordAsync(here, Password, NewPassword, NewPassword + "!");
            await here.GetByText("The two new passwords differ.").WaitForAsync();
            Assert.Equal(oldStamp, (await CheckPasswordAsync(api, "dora", Password)).Stamp);

            await ChangePasswordAsync(here, Password, NewPassword, NewPassword);
            await here.GetByText("Your password is changed.").WaitForAsync();

            // This browser's cookie carries the new stamp: the gateway still takes its calls.
            await here.GotoAsync(new Uri(_web.BaseAddress, "account/keys").ToString());
            await here.GetByText("No keys yet.").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await here.Locator(".account-error").CountAsync());
        });

        await chat.RunAsync(elsewhere, "accounts-password-elsewhere-failure.png", async () =>
        {
            // The other browser's chat, still open with the old stamp: its next message is refused, the session has ended,
            // and the message stays in the input for after signing in again.
            await TypeAsync(elsewhere, "Is anyone there?");
            await elsewhere.ClickAsync("#send-button:not([disabled])");
            var ended = elsewhere.Locator("#chat-error[data-failure='SessionEnded']");
            await ended.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            output.WriteLine(await ended.InnerTextAsync());
            Assert.Contains("Your session has ended", await ended.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal("Sign in", (await ended.Locator("a#sign-in-again").InnerTextAsync()).Trim());
            Assert.Equal(0, await ended.Locator("#retry-button").CountAsync());
            Assert.Equal("Is anyone there?", await InputTextAsync(elsewhere));

            // Its next page load goes to the sign-in page, coming back to the page afterwards.
            await elsewhere.GotoAsync(new Uri(_web.BaseAddress, "account/keys").ToString());
            await WaitForPathAsync(elsewhere, "^/account/sign-in\\?ReturnUrl=%2Faccount%2Fkeys$");
            await elsewhere.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await elsewhere.GetByText("No keys yet.").CountAsync());

            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/accounts/me");
            request.Headers.Add("OpeaChat-User", accountId);
            request.Headers.Add("OpeaChat-Session", oldStamp);
            using var refused = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            // The account API's paths answer in OPEA's shape ({"detail"}), so the refusal's code does not travel with it.
            using var json = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Contains("password changed since this session began", json.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        });

        await chat.RunAsync(here, "accounts-password-again-failure.png", async () =>
        {
            // Signed out, the old password is refused and the new one works.
            await here.GotoAsync(_web.BaseAddress.ToString());
            await here.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await here.ClickAsync("#sign-out");
            await here.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await SignInAsync(here, "dora", Password);
            await here.Locator(".account-error", new() { HasText = "not right" }).WaitForAsync();
            await SignInAsync(here, "dora", NewPassword);
            await here.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("dora", await here.Locator("#signed-in-name").InnerTextAsync());
        });
    }

    private static async Task ChangePasswordAsync(IPage page, string current, string wanted, string again)
    {
        await page.FillAsync("#current-password", current);
        await page.FillAsync("#new-password", wanted);
        await page.FillAsync("#confirm-password", again);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }

    /// <summary>The gateway's password check, as the web makes it: the account's id and its session stamp now.</summary>
    private static async Task<(string Id, string Stamp)> CheckPasswordAsync(HttpClient forwarder, string userName, string password)
    {
        using var response = await forwarder.PostAsync(new Uri("v1/accounts/sign-in", UriKind.Relative),
            JsonContent.Create(new { user_name = userName, password }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("session_stamp").GetString()!);
    }

    internal static async Task SignUpAsync(IPage page, string name)
    {
        await page.FillAsync("#user-name", name);
        await page.FillAsync("#password", Password);
        await page.FillAsync("#confirm-password", Password);
        await page.ClickAsync("button[type=submit]");
    }

    internal static async Task SignInAsync(IPage page, string name, string password)
    {
        await page.FillAsync("#user-name", name);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }
}
