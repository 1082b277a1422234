using System.Net;
using System.Net.Http.Headers;
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
public sealed class AccountsPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ForwarderKey = "test-forwarder-key-for-the-web";
    private const string Password = "correct horse battery";

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

            await page.ClickAsync("a.account-badge-link");
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

    private static async Task SignUpAsync(IPage page, string name)
    {
        await page.FillAsync("#user-name", name);
        await page.FillAsync("#password", Password);
        await page.FillAsync("#confirm-password", Password);
        await page.ClickAsync("button[type=submit]");
    }

    private static async Task SignInAsync(IPage page, string name, string password)
    {
        await page.FillAsync("#user-name", name);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }
}
