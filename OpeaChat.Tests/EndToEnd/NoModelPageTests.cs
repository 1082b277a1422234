using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>With no model, the chat page still opens and tells the person what to do.</summary>
[Collection(NoModelAppCollection.Name)]
public sealed class NoModelPageTests(NoModelAppFixture app, ITestOutputHelper output)
{
    [Fact]
    public async Task The_page_shows_where_to_put_a_model()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);

        await page.GotoAsync(app.WebBaseUri.ToString());
        await page.WaitForSelectorAsync("#chat-page[data-ready='true']", new() { Timeout = 60_000 });
        var status = page.Locator("#service-status");
        await status.WaitForAsync(new() { Timeout = 30_000 });

        var text = await status.InnerTextAsync();
        output.WriteLine(text);
        Assert.Contains("No model found", text, StringComparison.Ordinal);
        Assert.Contains("OPEACHAT_MODEL", text, StringComparison.Ordinal);
        Assert.Contains("Llama-3.2-3B-Instruct-Q6_K_L.gguf", text, StringComparison.Ordinal);
        output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-no-model.png")}");
    }
}
