using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The documents drawer and citations in Chromium against the whole app: a person uploads a file with a fact,
/// waits until it is searchable, asks with "Answer from my documents" on, and opens the citation under the reply
/// (and a reply's inline [1] marker opens it too).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class DocumentsPanelTests(AppFixture app, ITestOutputHelper output)
{
    private static readonly TimeSpan IngestTimeout = TimeSpan.FromSeconds(120);
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task An_uploaded_document_becomes_searchable_and_a_reply_from_it_cites_it()
    {
        // A name and a fact of this test's own, so the cited chunk is surely this file's.
        var name = $"zorblat-{Guid.NewGuid():N}.txt";
        const string fact = "The capital of Zorblat is Quuxhaven, founded by otters in 1907.";
        var file = Path.Combine(Path.GetTempPath(), name);
        await File.WriteAllTextAsync(file, fact + "\n");

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "documents-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);

            // The header's Documents button opens the drawer, named by its title.
            await page.ClickAsync("#documents-button");
            var panel = page.Locator("#documents-panel");
            await panel.GetByText("Drop files here").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal("true", await page.GetAttributeAsync("#documents-button", "aria-expanded"));

            await page.SetInputFilesAsync("#documents-file", file);
            var row = panel.Locator("li.document-row", new() { HasText = name });
            await row.Locator(".document-status", new() { HasText = "Searchable" }).WaitForAsync(new() { Timeout = Ms(IngestTimeout) });
            Assert.Matches(@"^\d+ chunks?$", (await row.Locator(".document-chunks").InnerTextAsync()).Trim());

            await page.ClickAsync("#documents-use");
            await page.Locator("#documents-choice-status", new() { HasText = "come from the documents" }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });

            // The drawer's close button, as a person would; then the page behind it takes clicks again.
            await page.ClickAsync("#documents-close");
            await page.Locator("#documents-content").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
            Assert.Equal("false", await page.GetAttributeAsync("#documents-button", "aria-expanded"));

            await SendAsync(page, "What is the capital of Zorblat?");
            var citation = page.Locator(".chat-message.assistant .message-citations button.citation[data-number='1']");
            await citation.WaitForAsync(new() { Timeout = Ms(ReplyTimeout) });
            Assert.Equal("[1]", (await citation.Locator(".citation-number").InnerTextAsync()).Trim());

            await citation.ClickAsync();
            var dialog = page.Locator("#citation-dialog");
            await dialog.Locator(".citation-document", new() { HasText = name }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Contains("Quuxhaven", await dialog.Locator(".citation-text").InnerTextAsync(), StringComparison.Ordinal);
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-citation.png")}");
        });
    }

    [Fact]
    public async Task A_source_marker_in_a_replys_text_opens_that_citation()
    {
        // A stored reply that cites its source inline, as a model following the RAG prompt writes it.
        using var gateway = app.CreateHttpClient("chatqna");
        var name = $"atlas-{Guid.NewGuid():N}.md";
        var user = Guid.NewGuid();
        var export = System.Text.Json.JsonSerializer.Serialize(new
        {
            format = "opeachat.conversation",
            version = 1,
            conversation = new { title = "Inline citation" },
            messages = new object[]
            {
                new { id = user, role = "user", content = "What is the capital of Zorblat?", status = "complete" },
                new
                {
                    id = Guid.NewGuid(), parent_id = user, role = "assistant", content = "Quuxhaven [1], not `[1]`.", status = "complete",
                    sources = new[] { new { id = "c-1", document = name, document_id = "d-1", index_name = "default", chunk = 0, score = 0.9, text = "The capital of Zorblat is Quuxhaven." } },
                },
            },
        });
        var id = await ImportConversationAsync(gateway, export);

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "inline-citation-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            var marker = page.Locator(".chat-message.assistant .message-markdown button.citation-marker");
            await marker.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(1, await marker.CountAsync()); // the one in inline code stays text
            Assert.Equal($"Source 1: {name}", await marker.GetAttributeAsync("aria-label"));

            // By keyboard, as the accessible name promises a button.
            await marker.FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            var dialog = page.Locator("#citation-dialog");
            await dialog.Locator(".citation-document", new() { HasText = name }).WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Contains("Quuxhaven", await dialog.Locator(".citation-text").InnerTextAsync(), StringComparison.Ordinal);
        });
    }
}
