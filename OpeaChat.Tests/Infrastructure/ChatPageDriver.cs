using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// What the browser tests of the chat page share: opening the page once it accepts typing, sending a message and
/// waiting for the stored reply, screenshots of failures, and conversations set up through the gateway's API.
/// </summary>
public sealed class ChatPageDriver(Uri webBaseUri, Action<string> log)
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(120);

    private static readonly JsonSerializerOptions s_snakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(new Uri(webBaseUri, path).ToString());
        // The page marks itself ready once the circuit is live, the list is loaded and the Fluent textarea is
        // wired up: text typed before that would be lost.
        await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = Ms(ReadyTimeout) });
    }

    /// <summary>
    /// Waits until the address bar's path (and query) matches <paramref name="pathPattern"/>, a regular expression.
    /// Not Playwright's WaitForURL: Blazor's enhanced navigation and NavigateTo move the address with history.pushState,
    /// where WaitForURL then waited for a load event that never comes (seen under CI's load: the page showed the new
    /// address and content while the wait timed out). The page's own location is what a person reads.
    /// </summary>
    public static async Task WaitForPathAsync(IPage page, string pathPattern, TimeSpan? timeout = null) =>
        await page.WaitForFunctionAsync(
            "pattern => new RegExp(pattern).test(location.pathname + location.search)",
            pathPattern, new() { Timeout = Ms(timeout ?? ReadyTimeout), PollingInterval = 50 });

    public static async Task SendAsync(IPage page, string text)
    {
        var before = await page.Locator(".chat-message.assistant").CountAsync();
        await TypeAsync(page, text);
        // Playwright reports <fluent-button disabled> as enabled, hence the attribute selector.
        await page.ClickAsync("#send-button:not([disabled])");
        await page.WaitForFunctionAsync(
            "before => document.querySelectorAll('.chat-message.assistant[data-id]:not([data-state=\"streaming\"])').length > before",
            before, new() { Timeout = Ms(ReplyTimeout) });
        await page.WaitForSelectorAsync("#send-button:not([disabled])", new() { Timeout = Ms(ReplyTimeout) });
    }

    /// <summary>Types into the message box (without sending) and checks that every character arrived.</summary>
    public static async Task TypeAsync(IPage page, string text)
    {
        await page.ClickAsync("#chat-input");
        await page.Keyboard.TypeAsync(text);
        Assert.Equal(text, await InputTextAsync(page));
    }

    public static Task<string> InputTextAsync(IPage page) =>
        page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value");

    /// <summary>
    /// Clicks Stop while the reply still streams. The reply may end between looking and clicking (the button is then
    /// replaced by Send): that is not a failure, as a person who was too late to stop a reply has nothing left to do.
    /// </summary>
    public static async Task StopIfStillStreamingAsync(IPage page)
    {
        var streaming = page.Locator(".chat-message.assistant[data-state='streaming']");
        if (await streaming.CountAsync() == 0)
        {
            return;
        }

        try
        {
            await page.Locator("#stop-button").ClickAsync(new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            if (await streaming.CountAsync() > 0)
            {
                throw; // Still streaming: Stop really could not be clicked.
            }
        }
    }

    public async Task RunAsync(IPage page, string failureShot, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            log($"Screenshot of the failure: {await Browser.SaveScreenshotAsync(page, failureShot)}");
            throw;
        }
    }

    public static Task<Guid> CreateConversationAsync(HttpClient gateway, string title) => CreateConversationWithAsync(gateway, new { title });

    /// <summary>Creates a conversation through the gateway with <paramref name="settings"/> (title, system_prompt, prompt_id, …).</summary>
    public static async Task<Guid> CreateConversationWithAsync(HttpClient gateway, object settings)
    {
        using var response = await gateway.PostAsJsonAsync(new Uri("v1/conversations", UriKind.Relative), settings);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>
    /// A JSON export (the gateway's <c>opeachat.conversation</c> format) of one branch: the messages alternate user,
    /// assistant, … starting with the user, a second apart.
    /// </summary>
    public static string ExportJson(string title, params string[] messages)
    {
        Guid? parent = null;
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var items = new List<object>();
        for (var i = 0; i < messages.Length; i++)
        {
            var id = Guid.NewGuid();
            items.Add(new
            {
                Id = id,
                ParentId = parent,
                Role = i % 2 == 0 ? "user" : "assistant",
                Content = messages[i],
                Status = "complete",
                CreatedAt = start.AddSeconds(i),
            });
            parent = id;
        }

        return JsonSerializer.Serialize(new { Format = "opeachat.conversation", Version = 1, Conversation = new { Title = title }, Messages = items }, s_snakeCase);
    }

    /// <summary>Imports <paramref name="exportJson"/> through the gateway's API and returns the new conversation's id.</summary>
    public static async Task<Guid> ImportConversationAsync(HttpClient gateway, string exportJson)
    {
        using var content = new StringContent(exportJson, Encoding.UTF8, "application/json");
        using var response = await gateway.PostAsync(new Uri("v1/conversations/import", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>The stored conversation as <c>GET /v1/conversations/{id}</c> answers it.</summary>
    public static async Task<JsonElement> GetConversationAsync(HttpClient gateway, Guid id)
    {
        using var body = JsonDocument.Parse(await gateway.GetStringAsync(new Uri($"v1/conversations/{id}", UriKind.Relative)));
        return body.RootElement.Clone();
    }

    public static async Task<string?> TitleAsync(HttpClient gateway, Guid id) =>
        (await GetConversationAsync(gateway, id)).GetProperty("title").GetString();

    public static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;
}
