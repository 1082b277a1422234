using System.Globalization;

namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// A service's <c>healthcheck</c>: a command the image brings (<see cref="CommandHealthCheckAnnotation"/>), or else the
/// resource's probe (readiness, then startup, then liveness) as a curl call to its endpoint inside the container.
/// </summary>
internal static class ComposeHealthCheck
{
    /// <summary>The health check of the resource; null when it has none.</summary>
    public static Dictionary<string, object?>? For(IResource resource)
    {
        if (resource.Annotations.OfType<CommandHealthCheckAnnotation>().LastOrDefault() is { } command)
        {
            return Node([.. command.Test], command.IntervalSeconds, command.TimeoutSeconds, command.Retries, command.StartPeriodSeconds);
        }

        var probes = resource.Annotations.OfType<EndpointProbeAnnotation>().ToList();
        var probe = probes.FirstOrDefault(p => p.Type == ProbeType.Readiness)
            ?? probes.FirstOrDefault(p => p.Type == ProbeType.Startup)
            ?? probes.FirstOrDefault(p => p.Type == ProbeType.Liveness);
        if (probe is null)
        {
            return null;
        }

        var port = ComposePorts.Target(resource, probe.EndpointReference.EndpointAnnotation);
        var url = $"{probe.EndpointReference.EndpointAnnotation.UriScheme}://localhost:{port.ToString(CultureInfo.InvariantCulture)}{probe.Path}";
        // The images install curl for this (ASP.NET Core images have no HTTP client of their own).
        List<object?> test = ["CMD", "curl", "--fail", "--silent", "--show-error", "--output", "/dev/null", "--max-time", probe.TimeoutSeconds.ToString(CultureInfo.InvariantCulture), url];
        return Node(test, probe.PeriodSeconds, probe.TimeoutSeconds, probe.FailureThreshold, probe.InitialDelaySeconds);
    }

    private static Dictionary<string, object?> Node(List<object?> test, int interval, int timeout, int retries, int startPeriod) => new()
    {
        ["test"] = test,
        ["interval"] = Seconds(interval),
        ["timeout"] = Seconds(timeout),
        ["retries"] = retries,
        ["start_period"] = Seconds(startPeriod),
    };

    private static string Seconds(int seconds) => $"{seconds.ToString(CultureInfo.InvariantCulture)}s";
}
