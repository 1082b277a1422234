using System.Net.Http.Headers;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Security;

/// <summary>
/// Inference with a key, a gateway with keys that calls it with that key, an open gateway (the development default),
/// and a web frontend on the keyed gateway: all in this process on real ports, started once for the security suite.
/// </summary>
public sealed class SecurityHosts : IAsyncLifetime
{
    public const string InferenceKey = "inference-key-for-the-security-suite";
    public const string GatewayKey = "gateway-key-for-the-security-suite";

    /// <summary>The one origin the open gateway allows (Security:AllowedOrigins).</summary>
    public const string AllowedOrigin = "http://allowed.example";

    /// <summary>The largest body the gateways take (ChatQnA:MaxRequestBodyBytes), small so 413 is cheap to reach.</summary>
    public const int GatewayBodyLimit = 64 * 1024;

    public InferenceHost Inference { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public GatewayHost OpenGateway { get; private set; } = null!;

    public WebFrontendHost Web { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Inference = InferenceHost.Start(("ApiKeys:0", InferenceKey));
        await Inference.WaitUntilReadyAsync();
        Gateway = GatewayHost.Start(Inference.BaseAddress,
            ("InferenceApiKey", InferenceKey), ("ApiKeys:0", GatewayKey), ("MaxRequestBodyBytes", GatewayBodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("RateLimit:Enabled", "false"), ("Logging:LogLevel:Default", "Warning"));
        OpenGateway = GatewayHost.Start(Inference.BaseAddress,
            ("InferenceApiKey", InferenceKey), ("Security:AllowedOrigins:0", AllowedOrigin), ("MaxRequestBodyBytes", GatewayBodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("RateLimit:Enabled", "false"), ("Logging:LogLevel:Default", "Warning"));
        Web = WebFrontendHost.Start(Gateway.BaseAddress, ("ChatQnA:ApiKey", GatewayKey));
    }

    /// <summary>A client for one service with the key it asks for (or none).</summary>
    public static HttpClient ClientFor(Uri baseAddress, string? key)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(1) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public Task DisposeAsync()
    {
        Web?.Dispose();
        OpenGateway?.Dispose();
        Gateway?.Dispose();
        Inference?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SecurityCollection : ICollectionFixture<SecurityHosts>
{
    public const string Name = "Security hosts";
}
