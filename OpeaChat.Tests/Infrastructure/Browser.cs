using Microsoft.Playwright;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright (which cannot download its own browsers here).</summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath}: run `apt-get install -y chromium` (.ci/run does).");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A page in a context of its own; <paramref name="clipboard"/> lets the page read and write the clipboard.</summary>
    /// <param name="timeZone">The browser's IANA time zone (null: the machine's).</param>
    public async Task<IPage> NewPageAsync(int width = 1200, int height = 760, Action<string>? log = null, bool clipboard = false, string? timeZone = null)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            TimezoneId = timeZone,
        });
        if (clipboard)
        {
            await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        }

        var page = await context.NewPageAsync();
        if (log is not null)
        {
            page.Console += (_, message) => log($"browser {message.Type}: {message.Text}");
            page.PageError += (_, error) => log($"browser page error: {error}");
        }

        return page;
    }

    /// <summary>
    /// Saves a screenshot into docs/images when OPEACHAT_UPDATE_SCREENSHOTS=1 (so ordinary test runs leave the
    /// repository untouched), otherwise beside the test binaries. Returns the path written.
    /// </summary>
    public static async Task<string> SaveScreenshotAsync(IPage page, string name)
    {
        var directory = Environment.GetEnvironmentVariable("OPEACHAT_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(RepositoryPaths.Root, "docs", "images")
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
