using Microsoft.Extensions.DependencyInjection;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// The ChatQnA gateway alone, in the test process, on a real Kestrel port, calling a real inference server over HTTP
/// (or an address where nothing listens, to test outages), with settings chosen by the test.
/// </summary>
public sealed class GatewayHost : KestrelTestHost<OpeaChat.ChatQnA.Caching.ResponseCache>
{
    private GatewayHost(Dictionary<string, string?> settings, Action<IServiceCollection>? services)
        : base(settings, services)
    {
    }

    /// <summary>Where the gateway keeps its SQLite database.</summary>
    public string DataDirectory => Settings["ChatQnA:DataDirectory"]!;

    /// <summary>The gateway's own message store, for setting up or checking a conversation's messages.</summary>
    public OpeaChat.ChatQnA.Conversations.MessageTreeStore Messages =>
        Services.GetRequiredService<OpeaChat.ChatQnA.Conversations.MessageTreeStore>();

    /// <summary>Settings under <c>ChatQnA:</c>; keys of other sections (<c>ConnectionStrings:</c>, <c>Logging:</c>, <c>services:</c>, <c>Security:</c>, <c>AllowedHosts</c>) are given whole.</summary>
    public static GatewayHost Start(Uri inference, params (string Key, string? Value)[] settings) =>
        Start(inference, Directory.CreateTempSubdirectory("opeachat-gateway-").FullName, settings);

    /// <summary>A gateway for the conversation and prompt APIs, which never call inference.</summary>
    public static GatewayHost StartWithoutInference(string dataDirectory) =>
        Start(Nowhere(), dataDirectory, ("Logging:LogLevel:Default", "Warning"));

    public static GatewayHost Start(Uri inference, string dataDirectory, params (string Key, string? Value)[] settings) =>
        Start(inference, dataDirectory, null, settings);

    /// <param name="services">Services added after the gateway's own, such as a fault injected into its database.</param>
    public static GatewayHost Start(Uri inference, string dataDirectory, Action<IServiceCollection>? services, params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["ChatQnA:InferenceBaseUrl"] = inference.ToString(),
            ["ChatQnA:DataDirectory"] = dataDirectory,
        };
        foreach (var (key, value) in settings)
        {
            var whole = key.StartsWith("ConnectionStrings:", StringComparison.Ordinal) || key.StartsWith("Logging:", StringComparison.Ordinal)
                || key.StartsWith("services:", StringComparison.Ordinal) || key.StartsWith("Security:", StringComparison.Ordinal) || key == "AllowedHosts";
            values[whole ? key : $"ChatQnA:{key}"] = value;
        }

        return WebHostStart.WithRetry(() => new GatewayHost(values, services));
    }

    /// <summary>An address on this machine where nothing listens.</summary>
    public static Uri Nowhere()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
