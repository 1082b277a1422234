namespace OpeaChat.AppHost.Deployment;

// What the deployment needs that Aspire's app model has no annotation for. The compose publisher reads these beside
// Aspire's own annotations (endpoints, environment, waits, volumes, probes, replicas, Dockerfile builds).

/// <summary>The resource reserves NVIDIA GPUs: <c>all</c> or a number.</summary>
internal sealed record GpuReservationAnnotation(string Count) : IResourceAnnotation;

/// <summary>
/// A host folder mounted into the container. Aspire's bind mounts need an absolute path of the machine that publishes;
/// a deployment needs a path on the server, so the source is a variable with a relative default.
/// </summary>
internal sealed record HostDirectoryMountAnnotation(string Variable, string DefaultSource, string Target, bool ReadOnly, string Description) : IResourceAnnotation;

/// <summary>A health check run inside the container (for images that bring their own tool, such as pg_isready).</summary>
internal sealed record CommandHealthCheckAnnotation(IReadOnlyList<string> Test, int StartPeriodSeconds, int IntervalSeconds, int TimeoutSeconds, int Retries) : IResourceAnnotation;

/// <summary>Marks a parameter that shapes the generated file (fixed when publishing) rather than a variable set in .env.</summary>
internal sealed record DeploymentShapeAnnotation : IResourceAnnotation;

/// <summary>A secret parameter that may stay empty (<c>${NAME:-}</c>), where every other secret is required.</summary>
internal sealed record OptionalSecretAnnotation : IResourceAnnotation;
