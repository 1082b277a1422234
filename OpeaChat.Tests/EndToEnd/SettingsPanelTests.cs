using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static OpeaChat.Tests.Infrastructure.ChatPageDriver;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The per-conversation settings panel, in Chromium against the whole app (web, gateway with its
/// stored conversations, inference on the real tiny model).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SettingsPanelTests(AppFixture app, ITestOutputHelper output)
{
    private readonly ChatPageDriver _chat = new(app.WebBaseUri, output.WriteLine);

    [Fact]
    public async Task Settings_are_saved_on_the_conversation_checked_first_and_used_for_the_next_reply()
    {
        using var gateway = app.CreateHttpClient("chatqna");
        var id = await CreateConversationWithAsync(gateway, new { title = "Settings test" });

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        await _chat.RunAsync(page, "settings-failure.png", async () =>
        {
            await _chat.OpenAsync(page, $"c/{id}");
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
        await _chat.RunAsync(page, "settings-new-chat-failure.png", async () =>
        {
            await _chat.OpenAsync(page, string.Empty);
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
            await WaitForPathAsync(page, "^/c/[^/]+$");
            var id = Guid.Parse(new Uri(page.Url).Segments[^1]);
            Assert.Equal(5, (await GetConversationAsync(gateway, id)).GetProperty("max_tokens").GetInt32());
            await page.WaitForFunctionAsync("() => document.getElementById('settings-max-tokens')?.value === '5'", null, new() { Timeout = Ms(ReadyTimeout) });
        });
    }

    private static async Task OpenSettingsAsync(IPage page)
    {
        await page.ClickAsync("#settings-button");
        await page.Locator("#settings-panel").WaitForAsync(new() { Timeout = Ms(ReadyTimeout) });
        Assert.Equal("true", await page.GetAttributeAsync("#settings-button", "aria-expanded"));
    }
}
