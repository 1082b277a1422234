using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;

namespace OpeaChat.ChatQnA.Inference;

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
    private readonly ConcurrentDictionary<Uri, int> _sentSinceRefresh = new();
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

        // Requests sent since the last report count too, so a burst does not all land on the same replica.
        var best = candidates
            .OrderBy(replica => replica.Load + _sentSinceRefresh.GetValueOrDefault(replica.BaseAddress))
            .ThenBy(_ => Random.Shared.Next())
            .First();
        _sentSinceRefresh.AddOrUpdate(best.BaseAddress, 1, (_, count) => count + 1);
        return best.BaseAddress;
    }

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
            _sentSinceRefresh.Clear();
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

            using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var load = Number(health.RootElement, "active_sequences") + Number(health.RootElement, "queued_requests");
            return new Replica(address, true, load);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return new Replica(address, false, int.MaxValue);
        }
    }

    private static int Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;

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
        if (options.CurrentValue.InferenceBalancing == InferenceBalancing.LeastQueue && request.RequestUri is { } uri
            && await balancer.PickAsync(cancellationToken) is { } replica)
        {
            request.RequestUri = new Uri(replica, uri.PathAndQuery);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
