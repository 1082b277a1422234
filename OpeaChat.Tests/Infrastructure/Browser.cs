using Microsoft.Playwright;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (which cannot download its own browsers here). One Chromium serves the whole
/// test run, since starting Playwright's driver and the browser takes seconds; each <see cref="Browser"/> a test
/// launches opens contexts of its own in it (cookies, storage, permissions and time zone apart) and closes them when
/// disposed. Should the browser crash, the next launch starts a new one.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly SemaphoreSlim s_launch = new(1, 1);
    private static IPlaywright? s_playwright;
    private static IBrowser? s_browser;

    private readonly IBrowser _browser;
    private readonly List<IBrowserContext> _contexts = [];

    private Browser(IBrowser browser)
    {
        _browser = browser;
    }

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath}: run `apt-get install -y chromium` (.ci/run does).");
        }

        await s_launch.WaitAsync();
        try
        {
            if (s_browser is not { IsConnected: true })
            {
                await CloseSharedAsync();
                s_playwright = await Playwright.CreateAsync();
                s_browser = await s_playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    Args =
                    [
                        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    ],
                });
                AppDomain.CurrentDomain.ProcessExit -= CloseOnExit;
                AppDomain.CurrentDomain.ProcessExit += CloseOnExit;
            }

            return new Browser(s_browser);
        }
        finally
        {
            s_launch.Release();
        }
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
        _contexts.Add(context);
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

    /// <summary>Closes this test's contexts and their pages; the shared browser stays for the next test.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }

        _contexts.Clear();
    }

    /// <summary>Closes the shared browser (a crashed one included) and Playwright's driver.</summary>
    private static async Task CloseSharedAsync()
    {
        try
        {
            if (s_browser is not null)
            {
                await s_browser.DisposeAsync();
            }
        }
        catch (PlaywrightException)
        {
            // Already gone with its process.
        }
        finally
        {
            s_browser = null;
            s_playwright?.Dispose();
            s_playwright = null;
        }
    }

    /// <summary>The test run is over: Chromium and Playwright's driver go with it (bounded, never failing the exit).</summary>
    private static void CloseOnExit(object? sender, EventArgs e)
    {
        try
        {
            CloseSharedAsync().Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
    }
}
