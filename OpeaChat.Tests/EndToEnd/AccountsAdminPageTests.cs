using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.EndToEnd.AccountsPageTests;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// A team's server where sign-ups wait for an admin: the admin's People page in one browser, a newcomer in another,
/// on real hosts (inference on the test model, the gateway with its SQLite store, the web frontend).
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class AccountsAdminPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private InferenceHost _inference = null!;
    private GatewayHost _gateway = null!;
    private WebFrontendHost _web = null!;

    public async Task InitializeAsync()
    {
        _inference = InferenceHost.Start(("ContextSize", "2048"));
        await _inference.WaitUntilReadyAsync();
        _gateway = GatewayHost.Start(_inference.BaseAddress,
            ("ForwarderApiKeys:0", ForwarderKey), ("Accounts:Enabled", "true"), ("Accounts:SignUp", "approval"),
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
    public async Task The_admin_approves_locks_resets_and_deletes_on_the_people_page_and_a_member_never_finds_it()
    {
        const string ErinsNewPassword = "erin's brand new one";
        var chat = new ChatPageDriver(_web.BaseAddress, output.WriteLine);
        await using var browser = await Browser.LaunchAsync();
        var admin = await browser.NewPageAsync(width: 1280, log: output.WriteLine);
        var erin = await browser.NewPageAsync(log: output.WriteLine);
        var erinsRow = admin.Locator("tr[data-user='erin']");

        await chat.RunAsync(admin, "people-admin-failure.png", async () =>
        {
            await admin.GotoAsync(_web.BaseAddress.ToString());
            await admin.Locator("h1", new() { HasText = "Welcome to OpeaChat" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await SignUpAsync(admin, "frank");
            await admin.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await ExpectSharedActionsAsync(admin, shown: true);
        });

        await chat.RunAsync(erin, "people-erin-signs-up-failure.png", async () =>
        {
            await erin.GotoAsync(new Uri(_web.BaseAddress, "account/sign-in").ToString());
            await erin.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await erin.GetByRole(AriaRole.Link, new() { Name = "Sign up" }).ClickAsync();
            await erin.Locator("h1", new() { HasText = "Sign up" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await SignUpAsync(erin, "erin");
            await erin.GetByText("waits for an admin's approval").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await erin.GotoAsync(new Uri(_web.BaseAddress, "account/sign-in").ToString());
            await SignInAsync(erin, "erin", Password);
            await erin.Locator(".account-error", new() { HasText = "approval" }).WaitForAsync();
        });

        await chat.RunAsync(admin, "people-approve-failure.png", async () =>
        {
            await admin.GetByRole(AriaRole.Link, new() { Name = "People", Exact = true }).ClickAsync();
            await admin.Locator("h1", new() { HasText = "People" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Contains("pending", await erinsRow.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Contains("approved", await admin.Locator("tr[data-user='frank']").InnerTextAsync(), StringComparison.Ordinal);
            await admin.GetByRole(AriaRole.Button, new() { Name = "Approve erin", Exact = true }).ClickAsync();
            await admin.GetByText("erin is approved").WaitForAsync();
            Assert.Contains("approved", await erinsRow.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await admin.GetByRole(AriaRole.Button, new() { Name = "Approve erin", Exact = true }).CountAsync());
        });

        await chat.RunAsync(erin, "people-member-failure.png", async () =>
        {
            await SignInAsync(erin, "erin", Password);
            await erin.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            // Models and shared documents are the server's: a member sees them but none of the admin's buttons.
            await ExpectSharedActionsAsync(erin, shown: false);

            // A member has no People link, and its address is simply not found: nothing says the page exists.
            Assert.Equal(0, await erin.GetByRole(AriaRole.Link, new() { Name = "People", Exact = true }).CountAsync());
            var response = await erin.GotoAsync(new Uri(_web.BaseAddress, "account/admin").ToString());
            await erin.Locator("h1", new() { HasText = "Not found" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(404, response!.Status);
            var text = await erin.Locator("main").InnerTextAsync();
            Assert.DoesNotContain("frank", text, StringComparison.Ordinal);
            Assert.DoesNotContain("People", text, StringComparison.Ordinal);
        });

        await chat.RunAsync(admin, "people-share-failure.png", async () =>
        {
            await admin.GotoAsync(_web.BaseAddress.ToString());
            var documents = await OpenDocumentsAsync(admin);
            await admin.ClickAsync("#documents-share");
            await documents.GetByText("go to the shared collection").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            var handbook = await UploadAsync(admin, "handbook.txt", "The team lunch is on Fridays at noon in the atrium.");
            Assert.Equal("Shared", (await handbook.Locator(".document-shared").InnerTextAsync()).Trim());
            await CloseDocumentsAsync(admin);
        });

        await chat.RunAsync(erin, "people-own-documents-failure.png", async () =>
        {
            await erin.GotoAsync(_web.BaseAddress.ToString());
            var documents = await OpenDocumentsAsync(erin);
            var notes = await UploadAsync(erin, "erins-notes.txt", "Erin's locker code is 4417.");
            Assert.Equal(0, await notes.Locator(".document-shared").CountAsync());
            Assert.Equal(1, await notes.Locator(".document-delete").CountAsync());

            // The admin's shared document is hers to read, marked Shared, and not hers to delete.
            var handbook = documents.Locator("li.document-row", new() { HasText = "handbook.txt" });
            Assert.Equal("Shared", (await handbook.Locator(".document-shared").InnerTextAsync()).Trim());
            Assert.Equal(0, await handbook.Locator(".document-delete").CountAsync());
            await CloseDocumentsAsync(erin);
        });

        await chat.RunAsync(admin, "people-private-documents-failure.png", async () =>
        {
            // Erin's notes are hers alone: not even the admin's list shows them.
            var documents = await OpenDocumentsAsync(admin);
            await documents.Locator("li.document-row", new() { HasText = "handbook.txt" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await documents.Locator("li.document-row", new() { HasText = "erins-notes.txt" }).CountAsync());
            await CloseDocumentsAsync(admin);
            await admin.GetByRole(AriaRole.Link, new() { Name = "People", Exact = true }).ClickAsync();
            await admin.Locator("h1", new() { HasText = "People" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
        });

        await chat.RunAsync(admin, "people-lock-failure.png", async () =>
        {
            await admin.GetByRole(AriaRole.Button, new() { Name = "Lock erin", Exact = true }).ClickAsync();
            await admin.GetByText("erin is locked").WaitForAsync();
            Assert.Contains("until unlocked", await erinsRow.InnerTextAsync(), StringComparison.Ordinal);
            // An admin cannot lock themself: their row offers no lock at all.
            Assert.Equal(0, await admin.GetByRole(AriaRole.Button, new() { Name = "Lock frank", Exact = true }).CountAsync());
        });

        await chat.RunAsync(erin, "people-locked-failure.png", async () =>
        {
            // Erin's open session stops at once: her next page load goes to the sign-in page, and her sign-in is refused
            // as locked.
            await erin.GotoAsync(new Uri(_web.BaseAddress, "account/keys").ToString());
            await WaitForPathAsync(erin, "^/account/sign-in");
            await erin.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await erin.Locator("#sign-out").CountAsync());
            await SignInAsync(erin, "erin", Password);
            var refusal = erin.Locator(".account-error", new() { HasText = "locked" });
            await refusal.WaitForAsync();
            output.WriteLine(await refusal.InnerTextAsync());
        });

        await chat.RunAsync(admin, "people-unlock-reset-failure.png", async () =>
        {
            await admin.GetByRole(AriaRole.Button, new() { Name = "Unlock erin", Exact = true }).ClickAsync();
            await admin.GetByText("erin is unlocked").WaitForAsync();
            await admin.GetByRole(AriaRole.Button, new() { Name = "Lock erin", Exact = true }).WaitForAsync();

            // The gateway's password rules apply to a reset too, and its reason shows.
            await admin.GetByLabel("New password for erin").FillAsync("short");
            await admin.GetByRole(AriaRole.Button, new() { Name = "Reset password of erin", Exact = true }).ClickAsync();
            await admin.Locator(".account-error", new() { HasText = "at least 8" }).WaitForAsync();
            await admin.GetByLabel("New password for erin").FillAsync(ErinsNewPassword);
            await admin.GetByRole(AriaRole.Button, new() { Name = "Reset password of erin", Exact = true }).ClickAsync();
            await admin.GetByText("erin's password is set").WaitForAsync();
        });

        await chat.RunAsync(erin, "people-new-password-failure.png", async () =>
        {
            await SignInAsync(erin, "erin", Password);
            await erin.Locator(".account-error", new() { HasText = "not right" }).WaitForAsync();
            await SignInAsync(erin, "erin", ErinsNewPassword);
            // Back on the page her ended session was sent away from.
            await WaitForPathAsync(erin, "^/account/keys$");
            await erin.GetByText("No keys yet.").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("erin", await erin.Locator("#signed-in-name").InnerTextAsync());
            await erin.GetByRole(AriaRole.Link, new() { Name = "Back to the chat" }).ClickAsync();
            await erin.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
        });

        await chat.RunAsync(admin, "people-last-admin-failure.png", async () =>
        {
            // The only admin cannot demote themself by mistake: the gateway refuses, and the page stays theirs.
            await admin.GetByRole(AriaRole.Button, new() { Name = "Make frank a member", Exact = true }).ClickAsync();
            var refusal = admin.Locator(".account-error");
            await refusal.WaitForAsync();
            Assert.Contains("only admin", await refusal.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Contains("admin", await admin.Locator("tr[data-user='frank']").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(1, await admin.GetByRole(AriaRole.Link, new() { Name = "People", Exact = true }).CountAsync());

            // Deleting asks first; only the second, deliberate button deletes.
            await admin.GetByRole(AriaRole.Button, new() { Name = "Delete erin", Exact = true }).ClickAsync();
            var forGood = admin.GetByRole(AriaRole.Button, new() { Name = "Delete erin for good", Exact = true });
            await forGood.WaitForAsync();
            Assert.Equal(1, await erinsRow.CountAsync());
            await forGood.ClickAsync();
            await admin.GetByText("erin is deleted").WaitForAsync();
            Assert.Equal(0, await erinsRow.CountAsync());
            Assert.Equal(1, await admin.Locator("tr[data-user='frank']").CountAsync());
            await Browser.SaveScreenshotAsync(admin, "people-page.png");
        });

        await chat.RunAsync(erin, "people-deleted-failure.png", async () =>
        {
            await erin.ClickAsync("#sign-out");
            await erin.Locator("h1", new() { HasText = "Sign in" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await SignInAsync(erin, "erin", ErinsNewPassword);
            await erin.Locator(".account-error", new() { HasText = "not right" }).WaitForAsync();
        });
    }

    /// <summary>Opens the documents and models drawers and checks that their add and delete actions are (not) offered.</summary>
    private static async Task ExpectSharedActionsAsync(IPage page, bool shown)
    {
        // Everyone adds documents of their own; only an admin may share what they add.
        var documents = await OpenDocumentsAsync(page);
        Assert.Equal(1, await documents.Locator("#documents-file").CountAsync());
        Assert.Equal(1, await documents.Locator("#documents-add-links").CountAsync());
        Assert.Equal(shown ? 1 : 0, await documents.Locator("#documents-share").CountAsync());
        Assert.Equal(shown ? 0 : 1, await documents.GetByText("What you add is yours alone").CountAsync());
        await CloseDocumentsAsync(page);

        await page.ClickAsync("#models-button");
        var models = page.Locator("#models-content");
        await models.Locator("li.model-row").First.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
        Assert.Equal(shown ? 1 : 0, await models.Locator("#models-pull-name").CountAsync());
        Assert.Equal(shown, await models.Locator(".model-delete").CountAsync() > 0);
        Assert.Equal(shown ? 0 : 1, await models.GetByText("an admin pulls and deletes them").CountAsync());
        await page.ClickAsync("#models-close");
        await models.WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = Ms(ReadyTimeout) });
    }

    private static async Task<ILocator> OpenDocumentsAsync(IPage page)
    {
        await page.ClickAsync("#documents-button");
        var documents = page.Locator("#documents-content");
        await documents.GetByText("Drop files here").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
        return documents;
    }

    private static async Task CloseDocumentsAsync(IPage page)
    {
        await page.ClickAsync("#documents-close");
        await page.Locator("#documents-content").WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = Ms(ReadyTimeout) });
    }

    /// <summary>Picks a file as a person does and waits, as they would, until its row says Searchable.</summary>
    private static async Task<ILocator> UploadAsync(IPage page, string name, string text)
    {
        await page.SetInputFilesAsync("#documents-file", new FilePayload { Name = name, MimeType = "text/plain", Buffer = System.Text.Encoding.UTF8.GetBytes(text) });
        var row = page.Locator("#documents-content li.document-row", new() { HasText = name });
        await row.Locator(".document-status", new() { HasText = "Searchable" }).WaitForAsync(new() { Timeout = Ms(TimeSpan.FromMinutes(2)) });
        return row;
    }
}
