using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The per-conversation settings panel and the error bars, in Chromium against the whole app (web, gateway with its
/// stored conversations, inference on the real tiny model).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SettingsPanelTests(AppFixture app, ITestOutputHelper output)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Settings_are_saved_on_the_conversation_checked_first_and_used_for_the_next_reply()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await CreateConversationAsync(gateway, new { title = "Settings test" });

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await RunAsync(page, "settings-failure.png", async () =>
        {
            await OpenAsync(page, $"c/{id}");
            await OpenSettingsAsync(page);
            Assert.Contains("Settings test", await page.InnerTextAsync(".settings-scope"), StringComparison.Ordinal);

            await page.FillAsync("#settings-system-prompt", "You tell very short stories.");
            await page.FillAsync("#settings-temperature", "5");
            await page.FillAsync("#settings-max-tokens", "6");
            await page.FillAsync("#settings-seed", "42");
            await page.ClickAsync("#settings-save");

            // Out of range: named at the field, and nothing reaches the gateway.
            var error = page.Locator(".settings-field:has(#settings-temperature) .settings-error");
            await error.WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Contains("from 0 to 2", await error.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal("true", await page.GetAttributeAsync("#settings-temperature", "aria-invalid"));
            Assert.Equal(JsonValueKind.Null, (await GetConversationAsync(gateway, id)).GetProperty("max_tokens").ValueKind);

            await page.FillAsync("#settings-temperature", "0.3");
            await page.ClickAsync("#settings-save");
            await page.WaitForFunctionAsync("() => document.getElementById('settings-status')?.textContent.trim() === 'Saved.'", null, new() { Timeout = Ms(ReadyTimeout) });
            var stored = await GetConversationAsync(gateway, id);
            Assert.Equal("You tell very short stories.", stored.GetProperty("system_prompt").GetString());
            Assert.Equal(0.3, stored.GetProperty("temperature").GetDouble(), 3);
            Assert.Equal(6, stored.GetProperty("max_tokens").GetInt32());
            Assert.Equal(42, stored.GetProperty("seed").GetInt64());

            // The next reply follows them: the tiny model would otherwise write far more than 6 tokens.
            await SendAsync(page, "Once upon a time");
            var tokens = page.Locator(".chat-message.assistant .message-tokens");
            await tokens.WaitForAsync(new() { Timeout = Ms(ReplyTimeout) });
            var count = int.Parse((await tokens.InnerTextAsync()).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(count, 1, 6);

            // After a reload the panel shows what is stored.
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
            await OpenSettingsAsync(page);
            Assert.Equal("0.3", await page.InputValueAsync("#settings-temperature"));
            Assert.Equal("6", await page.InputValueAsync("#settings-max-tokens"));
            Assert.Equal("42", await page.InputValueAsync("#settings-seed"));
            Assert.Equal("You tell very short stories.", await page.InputValueAsync("#settings-system-prompt"));
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-settings.png")}");

            // Escape closes the panel.
            await page.FocusAsync("#settings-seed");
            await page.Keyboard.PressAsync("Escape");
            await page.Locator("#settings-panel").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Ms(ReadyTimeout) });
            Assert.Equal("false", await page.GetAttributeAsync("#settings-button", "aria-expanded"));
        });
    }

    [Fact]
    public async Task Settings_chosen_before_the_first_message_are_stored_with_the_new_chat()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await RunAsync(page, "settings-new-chat-failure.png", async () =>
        {
            await OpenAsync(page, string.Empty);
            await OpenSettingsAsync(page);
            Assert.Contains("new chat", await page.InnerTextAsync(".settings-scope"), StringComparison.Ordinal);

            // The prompt list comes from the gateway; a template asks for its values (all but the question).
            await page.SelectOptionAsync("#settings-prompt", "opea-chatqna");
            await page.Locator(".settings-variable[data-variable='context']").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
            Assert.Equal(0, await page.Locator(".settings-variable[data-variable='question']").CountAsync());
            await page.SelectOptionAsync("#settings-prompt", string.Empty);

            await page.FillAsync("#settings-max-tokens", "5");
            await page.ClickAsync("#settings-save");
            await page.WaitForFunctionAsync("() => document.getElementById('settings-status')?.textContent.includes('new chat')", null, new() { Timeout = Ms(ReadyTimeout) });

            await SendAsync(page, "Once upon a time");
            await page.WaitForURLAsync("**/c/*", new() { Timeout = Ms(ReadyTimeout) });
            var id = Guid.Parse(new Uri(page.Url).Segments[^1]);
            Assert.Equal(5, (await GetConversationAsync(gateway, id)).GetProperty("max_tokens").GetInt32());
            await page.WaitForFunctionAsync("() => document.getElementById('settings-max-tokens')?.value === '5'", null, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    [Fact]
    public async Task A_request_the_gateway_rejects_shows_its_reason_and_keeps_the_message()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        // OPEA's RAG template needs {context}; this conversation has none, so the gateway refuses every message.
        var id = await CreateConversationAsync(gateway, new { title = "Needs context", prompt_id = "opea-chatqna" });

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await RunAsync(page, "rejected-failure.png", async () =>
        {
            await OpenAsync(page, $"c/{id}");
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

    private static async Task OpenSettingsAsync(IPage page)
    {
        await page.ClickAsync("#settings-button");
        await page.Locator("#settings-panel").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
        Assert.Equal("true", await page.GetAttributeAsync("#settings-button", "aria-expanded"));
    }

    private async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(new Uri(app.WebBaseUri, path).ToString());
        await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
    }

    private static async Task SendAsync(IPage page, string text)
    {
        var before = await page.Locator(".chat-message.assistant").CountAsync();
        await page.ClickAsync("#chat-input");
        await page.Keyboard.TypeAsync(text);
        await page.ClickAsync("#send-button:not([disabled])");
        await page.WaitForFunctionAsync(
            "before => document.querySelectorAll('.chat-message.assistant[data-id]:not([data-state=\"streaming\"])').length > before",
            before, new() { Timeout = Ms(ReplyTimeout) });
    }

    private async Task RunAsync(IPage page, string failureShot, Func<Task> test)
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

    private static async Task<Guid> CreateConversationAsync(HttpClient gateway, object settings)
    {
        using var response = await gateway.PostAsJsonAsync(new Uri("v1/conversations", UriKind.Relative), settings);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<JsonElement> GetConversationAsync(HttpClient gateway, Guid id)
    {
        using var body = JsonDocument.Parse(await gateway.GetStringAsync(new Uri($"v1/conversations/{id}", UriKind.Relative)));
        return body.RootElement.Clone();
    }

    private static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;
}
