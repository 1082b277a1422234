using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;
using OpeaChat.Contracts.Health;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// Knows the inference replicas (every service-discovery endpoint, and every address of a name such as compose's
/// <c>inference</c>, which has one per replica) and how busy each is (running plus queued requests, from its /health),
/// and picks the least busy one for each request.
/// </summary>
public sealed partial class InferenceBalancer(
    ServiceEndpointResolver resolver, IHttpClientFactory httpClientFactory, IOptionsMonitor<ChatQnAOptions> options, TimeProvider time, ILogger<InferenceBalancer> logger)
{
    public const string HttpClientName = "inference-load";

    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly ConcurrentDictionary<Uri, int> _inFlight = new();
    private IReadOnlyList<Replica> _replicas = [];
    private long _refreshedAt; // 0: never

    /// <summary>The replicas as last seen, for logs and tests.</summary>
    public IReadOnlyList<Replica> Replicas => _replicas;

    /// <summary>The base address of the least busy replica, or null when there is nothing to choose between.</summary>
    public async Task<Uri?> PickAsync(CancellationToken cancellationToken)
    {
        await RefreshIfStaleAsync(cancellationToken);
        var candidates = _replicas.Where(replica => replica.Reachable).ToArray();
        if (candidates.Length == 0)
        {
            candidates = [.. _replicas];
        }

        if (candidates.Length <= 1)
        {
            return candidates.Length == 1 ? candidates[0].BaseAddress : null;
        }

        // This gateway's own open requests count at once (a report may be up to a refresh old, so a burst would
        // otherwise land on one replica); the report covers what other gateways send.
        return candidates
            .OrderBy(replica => Math.Max(replica.Load, _inFlight.GetValueOrDefault(replica.BaseAddress)))
            .ThenBy(replica => _inFlight.GetValueOrDefault(replica.BaseAddress))
            .ThenBy(_ => Random.Shared.Next())
            .First()
            .BaseAddress;
    }

    /// <summary>Counts a request to a replica as open until <see cref="Release"/>.</summary>
    public void Track(Uri replica) => _inFlight.AddOrUpdate(replica, 1, (_, count) => count + 1);

    public void Release(Uri replica) => _inFlight.AddOrUpdate(replica, 0, (_, count) => Math.Max(0, count - 1));

    private async Task RefreshIfStaleAsync(CancellationToken cancellationToken)
    {
        if (IsFresh())
        {
            return;
        }

        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            if (IsFresh())
            {
                return;
            }

            var addresses = await ResolveAsync(cancellationToken);
            var replicas = await Task.WhenAll(addresses.Select(address => MeasureAsync(address, cancellationToken)));
            _replicas = replicas;
            Interlocked.Exchange(ref _refreshedAt, time.GetTimestamp());
            LogReplicas(string.Join(", ", replicas.Select(replica => $"{replica.BaseAddress} load {(replica.Reachable ? replica.Load : -1)}")));
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private bool IsFresh()
    {
        var refreshedAt = Interlocked.Read(ref _refreshedAt);
        return refreshedAt != 0 && time.GetElapsedTime(refreshedAt) < options.CurrentValue.InferenceLoadRefresh;
    }

    private async Task<IReadOnlyList<Uri>> ResolveAsync(CancellationToken cancellationToken)
    {
        var service = options.CurrentValue.InferenceBaseUrl;
        var source = await resolver.GetEndpointsAsync(service.GetLeftPart(UriPartial.Authority), cancellationToken);
        var addresses = new List<Uri>();
        foreach (var endpoint in source.Endpoints)
        {
            switch (endpoint.EndPoint)
            {
                case UriEndPoint uri:
                    addresses.Add(uri.Uri);
                    break;
                case IPEndPoint ip:
                    addresses.Add(new UriBuilder(service.Scheme, ip.Address.ToString(), ip.Port).Uri);
                    break;
                case DnsEndPoint dns when dns.Host is "localhost" || IPAddress.TryParse(dns.Host, out _):
                    addresses.Add(new UriBuilder(service.Scheme, dns.Host, dns.Port).Uri);
                    break;
                case DnsEndPoint dns:
                    // One name, one address per replica (Docker's DNS for a scaled compose service).
                    var ips = await Dns.GetHostAddressesAsync(dns.Host, AddressFamily.InterNetwork, cancellationToken);
                    addresses.AddRange(ips.Length == 0
                        ? [new UriBuilder(service.Scheme, dns.Host, dns.Port).Uri]
                        : ips.Select(ip => new UriBuilder(service.Scheme, ip.ToString(), dns.Port).Uri));
                    break;
            }
        }

        return addresses.Distinct().ToArray();
    }

    private async Task<Replica> MeasureAsync(Uri address, CancellationToken cancellationToken)
    {
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.GetAsync(new Uri(address, "health"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return new Replica(address, false, int.MaxValue);
            }

            var health = await response.Content.ReadFromJsonAsync(HealthJsonContext.Default.HealthResponse, cancellationToken);
            return new Replica(address, true, (health?.ActiveSequences ?? 0) + (health?.QueuedRequests ?? 0));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return new Replica(address, false, int.MaxValue);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Inference replicas: {Replicas}")]
    private partial void LogReplicas(string replicas);

    /// <summary>One replica, with its running plus queued requests when it last answered.</summary>
    public sealed record Replica(Uri BaseAddress, bool Reachable, int Load);
}

/// <summary>Sends each inference request to the replica the balancer picks (when balancing is on).</summary>
public sealed class BalancingHandler(InferenceBalancer balancer, IOptionsMonitor<ChatQnAOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.CurrentValue.InferenceBalancing != InferenceBalancing.LeastQueue || request.RequestUri is not { } uri
            || await balancer.PickAsync(cancellationToken) is not { } replica)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        request.RequestUri = new Uri(replica, uri.PathAndQuery);
        balancer.Track(replica);
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            // Open until the (possibly streamed) body is done with: the response's disposal disposes its content.
            response.Content = new ReleasingContent(response.Content, () => balancer.Release(replica));
            return response;
        }
        catch
        {
            balancer.Release(replica);
            throw;
        }
    }

    /// <summary>Passes the body through and runs an action once when it is disposed.</summary>
    private sealed class ReleasingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private Action? _release;

        public ReleasingContent(HttpContent inner, Action release)
        {
            _inner = inner;
            _release = release;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => _inner.CopyToAsync(stream);

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
            _inner.CopyToAsync(stream, cancellationToken);

        protected override Task<Stream> CreateContentReadStreamAsync() => _inner.ReadAsStreamAsync();

        protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => _inner.ReadAsStreamAsync(cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Interlocked.Exchange(ref _release, null)?.Invoke();
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
