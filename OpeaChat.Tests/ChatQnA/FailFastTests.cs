using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>
/// A hop whose next service is down answers at once with the reason. "Down" here is what Aspire's proxy makes of a
/// dead process: a port that accepts connections and never answers, where a connect timeout alone would not help.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class FailFastTests
{
    /// <summary>Bounds each wait; the attempt timeout these tests must not run into is 5 minutes.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_chat_while_inference_accepts_but_never_answers_gets_503_with_retry_after_and_the_reason()
    {
        using var silent = new SilentListener();
        using var gateway = GatewayHost.Start(silent.Address, ("Logging:LogLevel:Default", "Warning"));
        using var timeout = new CancellationTokenSource(Bound);

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", stream = false, max_tokens = 8 }, timeout.Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        Assert.Contains("liveness check", body, StringComparison.Ordinal);

        using var health = await gateway.Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("unreachable", JsonDocument.Parse(await health.Content.ReadAsStringAsync(timeout.Token)).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_web_health_is_unhealthy_while_the_gateway_accepts_but_never_answers()
    {
        using var silent = new SilentListener();
        using var web = WebFrontendHost.Start(silent.Address);
        using var timeout = new CancellationTokenSource(Bound);

        using var health = await web.Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal("gateway_unreachable", body.RootElement.GetProperty("status").GetString());
        Assert.Contains("liveness check", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var alive = await web.Client.GetAsync(new Uri("/alive", UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task The_web_health_passes_on_that_the_gateway_cannot_chat_while_the_web_still_serves()
    {
        using var gateway = GatewayHost.Start(GatewayHost.Nowhere(), ("Logging:LogLevel:Default", "Warning"));
        using var web = WebFrontendHost.Start(gateway.BaseAddress);
        using var timeout = new CancellationTokenSource(Bound);

        using var health = await web.Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);

        // Degraded: 200, so the page (which says what to do) keeps being served, with the gateway's reason.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal("unreachable", body.RootElement.GetProperty("status").GetString());
        Assert.Contains("inference", body.RootElement.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Accepts every connection and never answers, as Aspire's proxy does for a process that is gone.</summary>
    private sealed class SilentListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> _held = [];
        private readonly CancellationTokenSource _stop = new();

        public SilentListener()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_held)
                    {
                        _held.Add(client);
                    }
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_held)
            {
                _held.ForEach(client => client.Dispose());
            }

            _stop.Dispose();
        }
    }
}
