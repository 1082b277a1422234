using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The sidebar's export and import, the header's model picker, the new-chat shortcut, copying, and the page when the
/// gateway cannot be reached: a real browser against the whole app on the real tiny model.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SidebarAndHeaderTests(AppFixture app, ITestOutputHelper output)
{
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task In_local_mode_nothing_asks_for_a_sign_in_and_the_header_says_local_mode()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "local-mode-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            Assert.Equal("Local mode", (await page.Locator("#local-mode").InnerTextAsync()).Trim());
            Assert.Equal(0, await page.Locator("#sign-out").CountAsync());

            // The account pages have nothing to do here: they lead back to the chat.
            await page.GotoAsync(new Uri(app.WebBaseUri, "account/sign-in").ToString());
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(app.WebBaseUri.AbsoluteUri, page.Url);
        });
    }

    [Fact]
    public async Task The_sidebar_export_actions_download_a_Markdown_and_an_importable_JSON_file()
    {
        var tag = Tag();
        var title = $"Export {tag}";
        string[] messages = [$"Where did the cat go {tag}?", $"The cat went to the park {tag}."];
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await ImportConversationAsync(gateway, ExportJson(title, messages));

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "sidebar-export-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            var item = page.Locator($".conversation-item[data-id='{id}']");
            await item.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            var address = page.Url;

            await item.HoverAsync();
            var markdown = await page.RunAndWaitForDownloadAsync(
                () => item.Locator(".export-markdown").ClickAsync(), new() { Timeout = Ms(ReadyTimeout) });
            output.WriteLine($"Markdown download: {markdown.SuggestedFilename}");
            Assert.EndsWith(".md", markdown.SuggestedFilename, StringComparison.Ordinal);
            var text = await ReadDownloadAsync(markdown);
            Assert.Contains($"# {title}", text, StringComparison.Ordinal);
            Assert.All(messages, message => Assert.Contains(message, text, StringComparison.Ordinal));

            await item.HoverAsync();
            var json = await page.RunAndWaitForDownloadAsync(
                () => item.Locator(".export-json").ClickAsync(), new() { Timeout = Ms(ReadyTimeout) });
            output.WriteLine($"JSON download: {json.SuggestedFilename}");
            Assert.EndsWith(".json", json.SuggestedFilename, StringComparison.Ordinal);
            using var export = JsonDocument.Parse(await ReadDownloadAsync(json));
            Assert.Equal("opeachat.conversation", export.RootElement.GetProperty("format").GetString());
            Assert.Equal(1, export.RootElement.GetProperty("version").GetInt32());
            Assert.Equal(title, export.RootElement.GetProperty("conversation").GetProperty("title").GetString());
            Assert.Equal(messages, export.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));

            // Downloading leaves the page where it was, still live.
            Assert.Equal(address, page.Url);
            Assert.Equal(1, await page.Locator("#chat-page[data-ready='true']").CountAsync());
        });
    }

    [Fact]
    public async Task Importing_a_JSON_export_in_the_sidebar_opens_it_as_a_new_conversation()
    {
        var tag = Tag();
        var title = $"Imported {tag}";
        string[] messages = [$"Tell me about the dog {tag}", $"The dog liked to run {tag}."];
        var file = Path.Combine(Directory.CreateTempSubdirectory("opeachat-import-").FullName, "conversation.json");
        await File.WriteAllTextAsync(file, ExportJson(title, messages));
        using var gateway = app.CreateHttpClient("chatqna");

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "sidebar-import-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
            Assert.Equal(0, await page.Locator(".conversation-item", new() { HasText = title }).CountAsync());

            await page.SetInputFilesAsync("#import-file", file);

            await WaitForPathAsync(page, "^/c/[^/]+$");
            var id = Guid.Parse(new Uri(page.Url).Segments[^1]);
            // Listed, and marked open once the page has opened it.
            var item = page.Locator($".conversation-item.active[data-id='{id}']");
            await item.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(title, (await item.Locator(".conversation-link").InnerTextAsync()).Trim());
            Assert.Equal(title, await TitleAsync(gateway, id));

            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='complete']", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(messages[0], (await page.Locator(".chat-message.user .message-text").InnerTextAsync()).Trim());
            Assert.Equal(messages[1], (await page.Locator(".chat-message.assistant .message-text").InnerTextAsync()).Trim());
        });
    }

    [Fact]
    public async Task When_the_gateway_cannot_be_reached_an_error_bar_offers_retry_and_the_typed_text_is_kept()
    {
        // A second web frontend pointed at a port where nothing listens: the shared app keeps running.
        using var web = WebFrontendHost.Start(GatewayHost.Nowhere());
        var chat = new ChatPageDriver(web.BaseAddress, output.WriteLine);
        const string Text = "Is anybody there?";

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await chat.RunAsync(page, "chat-unreachable-failure.png", async () =>
        {
            await chat.OpenAsync(page, string.Empty);
            // Loading the list already failed; mark that bar so the one for the send can be told apart (each
            // error is a new element).
            await page.WaitForSelectorAsync("#chat-error", new() { Timeout = Ms(ReadyTimeout) });
            await page.EvalOnSelectorAsync("#chat-error", "element => element.dataset.seen = 'true'");

            await TypeAsync(page, Text);
            await page.ClickAsync("#send-button:not([disabled])");

            var error = page.Locator("#chat-error:not([data-seen])");
            await error.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            output.WriteLine(await error.EvaluateAsync<string>("element => element.outerHTML"));
            Assert.Equal("error", await error.GetAttributeAsync("intent"));
            Assert.Contains("cannot be reached", await error.InnerTextAsync(), StringComparison.Ordinal);
            Assert.True(await error.Locator("#retry-button").IsVisibleAsync());
            // Nothing typed is lost: the question goes back into the box.
            await page.WaitForFunctionAsync(
                "text => document.getElementById('chat-input')?.value === text", Text, new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await page.Locator(".chat-message").CountAsync());

            // Retry sends the text again; it fails again, and the text is still there.
            await error.EvaluateAsync("element => element.dataset.seen = 'true'");
            await page.ClickAsync("#retry-button");
            await page.Locator("#chat-error:not([data-seen])").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            await page.WaitForFunctionAsync(
                "text => document.getElementById('chat-input')?.value === text", Text, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task The_model_picker_shows_the_models_facts_and_stores_the_choice_on_the_open_conversation()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        using var models = JsonDocument.Parse(await gateway.GetStringAsync(new Uri("v1/models", UriKind.Relative)));
        var model = models.RootElement.GetProperty("data")[0];
        var modelId = model.GetProperty("id").GetString()!;
        var context = model.GetProperty("context_length").GetInt32();
        Assert.Equal("llama", model.GetProperty("architecture").GetString());
        var id = await CreateConversationAsync(gateway, $"Model {Tag()}");
        Assert.NotEqual(modelId, ModelOf(await GetConversationAsync(gateway, id)));

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "model-picker-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            // The page has opened the conversation (a choice made before that would only apply to new chats).
            await page.Locator($".conversation-item.active[data-id='{id}']").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            var option = page.Locator($"#model-select option[value='{modelId}']");
            await option.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Ms(ReadyTimeout) });
            var text = await option.TextContentAsync() ?? string.Empty;
            output.WriteLine($"model option: {text}");
            Assert.Contains(modelId, text, StringComparison.Ordinal);
            Assert.Contains("llama", text, StringComparison.Ordinal);
            Assert.Contains($"ctx {context}", text, StringComparison.Ordinal);
            if (model.TryGetProperty("quantization", out var quantization) && quantization.ValueKind == JsonValueKind.String)
            {
                Assert.Contains(quantization.GetString()!, text, StringComparison.Ordinal);
            }

            if (model.TryGetProperty("file_size", out var size) && size.ValueKind == JsonValueKind.Number)
            {
                Assert.Contains(" MB", text, StringComparison.Ordinal);
            }

            await page.SelectOptionAsync("#model-select", modelId);
            var stored = await WaitForAsync(async () => ModelOf(await GetConversationAsync(gateway, id)), value => value == modelId);
            Assert.Equal(modelId, stored);
        });
    }

    [Fact]
    public async Task Ctrl_Shift_O_starts_a_new_chat_from_an_open_conversation_and_focuses_the_input()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await ImportConversationAsync(gateway, ExportJson($"Shortcut {Tag()}", "A question", "An answer."));

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "new-chat-shortcut-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            await page.WaitForSelectorAsync(".chat-message.assistant[data-state='complete']", new() { Timeout = Ms(ReadyTimeout) });
            await page.FocusAsync("#conversation-search");
            Assert.True(await page.EvalOnSelectorAsync<bool>("#conversation-search", "element => element === document.activeElement"));

            await page.Keyboard.PressAsync("Control+Shift+O");

            await WaitForPathAsync(page, "^/$");
            await page.WaitForSelectorAsync(".chat-empty", new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await page.Locator(".chat-message").CountAsync());
            await page.WaitForFunctionAsync(
                "() => document.activeElement === document.getElementById('chat-input')", null, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task Copy_buttons_put_the_message_and_the_code_on_the_clipboard()
    {
        var tag = Tag();
        var question = $"Show me code {tag}";
        var code = $"print('hello {tag}')";
        var answer = $"Here it is:\n\n```python\n{code}\n```";
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await ImportConversationAsync(gateway, ExportJson($"Copy {tag}", question, answer));

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine, clipboard: true);
        await _chat.RunAsync(page, "copy-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
            await page.WaitForSelectorAsync(".chat-message.assistant .code-block pre", new() { Timeout = Ms(ReadyTimeout) });
            await page.EvaluateAsync("() => navigator.clipboard.writeText('')");

            await page.HoverAsync(".chat-message.user");
            await page.ClickAsync(".chat-message.user .copy-message");
            Assert.Equal(question, await WaitForClipboardAsync(page, question));

            await page.HoverAsync(".chat-message.assistant");
            await page.ClickAsync(".chat-message.assistant .copy-message");
            Assert.Equal(answer, await WaitForClipboardAsync(page, answer));

            await page.ClickAsync(".chat-message.assistant .code-copy");
            Assert.Equal(code, await WaitForClipboardAsync(page, code));
        });
    }

    private static string Tag() => Guid.NewGuid().ToString("N")[..8];

    private static string? ModelOf(JsonElement conversation) =>
        conversation.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null;

    private static async Task<string> ReadDownloadAsync(IDownload download)
    {
        Assert.Null(await download.FailureAsync());
        return await File.ReadAllTextAsync(await download.PathAsync());
    }

    /// <summary>Reads the clipboard until it holds <paramref name="expected"/> (trimmed) or the wait ends; returns what it last held.</summary>
    private static Task<string> WaitForClipboardAsync(IPage page, string expected) =>
        page.EvaluateAsync<string>(
            """
            async ({ expected, timeoutMs }) => {
                const deadline = Date.now() + timeoutMs;
                let text;
                do {
                    text = (await navigator.clipboard.readText()).trim();
                    if (text === expected) {
                        break;
                    }
                    await new Promise(resolve => setTimeout(resolve, 50));
                } while (Date.now() < deadline);
                return text;
            }
            """,
            new { expected = expected.Trim(), timeoutMs = ReadyTimeout.TotalMilliseconds });

    /// <summary>Asks <paramref name="read"/> until <paramref name="done"/> holds or the wait ends; returns the last answer.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        var value = await read();
        while (!done(value) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100);
            value = await read();
        }

        return value;
    }
}
