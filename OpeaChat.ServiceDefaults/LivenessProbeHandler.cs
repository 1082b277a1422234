using System.Collections.Concurrent;
using System.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Makes a call to a service that is down fail in about a second, with the reason, instead of hanging. Under the
/// AppHost every project's port is held by Aspire's proxy (DCP), which accepts a connection even while the process
/// behind it is dead and then holds it until the caller's timeout (seen: exactly the 5 minutes of the gateway's
/// attempt timeout). A connect timeout cannot see that, so before a call this handler asks the same address's
/// <c>/alive</c> with a short timeout, unless that address answered one recently; an address that did not answer
/// fails every call at once until it answers again (a circuit breaker keyed by address, half-open after
/// <see cref="DownFor"/>).
/// </summary>
public sealed class LivenessProbeHandler(string serviceName, TimeSpan probeTimeout) : DelegatingHandler
{
    /// <summary>How long an answered probe vouches for its address.</summary>
    public static readonly TimeSpan AliveFor = TimeSpan.FromSeconds(2);

    /// <summary>How long a failed probe fails calls without probing again.</summary>
    public static readonly TimeSpan DownFor = TimeSpan.FromSeconds(1);

    // Shared by every handler instance (the factory rotates them): what matters is the address, not the instance.
    private static readonly ConcurrentDictionary<string, ProbeResult> s_results = new(StringComparer.OrdinalIgnoreCase);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is not { IsAbsoluteUri: true } uri || uri.AbsolutePath.Equals(ServiceDefaultsExtensions.AlivenessEndpointPath, StringComparison.Ordinal))
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var authority = uri.GetLeftPart(UriPartial.Authority);
        var known = s_results.TryGetValue(authority, out var result) ? result : null;
        if (known is { Alive: true } && known.Age < AliveFor)
        {
            return await SendAndWatchAsync(request, authority, cancellationToken);
        }

        if (known is { Alive: false } && known.Age < DownFor)
        {
            throw Down(known.Reason);
        }

        var probed = await ProbeAsync(authority, cancellationToken);
        s_results[authority] = probed;
        return probed.Alive ? await SendAndWatchAsync(request, authority, cancellationToken) : throw Down(probed.Reason);
    }

    /// <summary>Forgets what is known of every address (tests that restart a service on the same port).</summary>
    public static void Reset() => s_results.Clear();

    private async Task<HttpResponseMessage> SendAndWatchAsync(HttpRequestMessage request, string authority, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            // Probe again before the next call rather than trusting an answer from before the failure.
            s_results.TryRemove(authority, out _);
            throw;
        }
    }

    private async Task<ProbeResult> ProbeAsync(string authority, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout);
        using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(authority), ServiceDefaultsExtensions.AlivenessEndpointPath));
        try
        {
            using var response = await base.SendAsync(probe, timeout.Token);
            // Any answer means a process is there; /alive only fails when that process is in trouble itself.
            return response.IsSuccessStatusCode
                ? new ProbeResult(true, null, Stopwatch.GetTimestamp())
                : new ProbeResult(false, $"its liveness check answered {(int)response.StatusCode}", Stopwatch.GetTimestamp());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeResult(false, $"it did not answer its liveness check within {probeTimeout.TotalSeconds:0.#} s", Stopwatch.GetTimestamp());
        }
        catch (HttpRequestException exception)
        {
            return new ProbeResult(false, exception.Message, Stopwatch.GetTimestamp());
        }
    }

    private HttpRequestException Down(string? reason) =>
        new($"The {serviceName} service is down: {reason}.", null, System.Net.HttpStatusCode.ServiceUnavailable);

    private sealed record ProbeResult(bool Alive, string? Reason, long At)
    {
        public TimeSpan Age => Stopwatch.GetElapsedTime(At);
    }
}
