namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// A second web frontend, in the test process, on a real Kestrel port a browser can open, talking to the gateway
/// at an address the test chooses (for example one where nothing listens), so the shared app keeps running.
/// </summary>
public sealed class WebFrontendHost : KestrelTestHost<OpeaChat.Web.Gateway.GatewayOptions>
{
    private WebFrontendHost(Dictionary<string, string?> settings)
        : base(settings)
    {
    }

    /// <param name="settings">More settings, whole keys (for example <c>ChatQnA:ApiKey</c>).</param>
    public static WebFrontendHost Start(Uri gateway, params (string Key, string? Value)[] settings)
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

        return WebHostStart.WithRetry(() => new WebFrontendHost(values));
    }
}
