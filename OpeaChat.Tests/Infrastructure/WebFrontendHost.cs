using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// A second web frontend, in the test process, on a real Kestrel port a browser can open, talking to the gateway
/// at an address the test chooses (for example one where nothing listens), so the shared app keeps running.
/// </summary>
public sealed class WebFrontendHost : KestrelTestHost<OpeaChat.Web.Gateway.GatewayOptions>
{
    private WebFrontendHost(Dictionary<string, string?> settings, Action<IServiceCollection>? services)
        : base(settings, services)
    {
    }

    /// <param name="settings">More settings, whole keys (for example <c>ChatQnA:ApiKey</c>).</param>
    public static WebFrontendHost Start(Uri gateway, params (string Key, string? Value)[] settings) => Start(gateway, logs: null, settings);

    /// <param name="logs">Where every log line of the web goes too (for tests that look for secrets), or null.</param>
    public static WebFrontendHost Start(Uri gateway, ConcurrentQueue<string>? logs, params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["ChatQnA:BaseUrl"] = gateway.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        Action<IServiceCollection>? services = logs is null ? null : s => s.AddSingleton<ILoggerProvider>(new CapturingLoggerProvider(logs));
        return WebHostStart.WithRetry(() => new WebFrontendHost(values, services));
    }
}
