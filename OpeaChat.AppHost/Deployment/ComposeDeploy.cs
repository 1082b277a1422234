using System.Globalization;

namespace OpeaChat.AppHost.Deployment;

/// <summary>A service's <c>deploy</c> section: its replicas and its NVIDIA GPU reservation.</summary>
internal static class ComposeDeploy
{
    /// <summary>The deploy section of the resource; null when it has neither replicas nor GPUs.</summary>
    public static Dictionary<string, object?>? For(IResource resource)
    {
        var deploy = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (resource.Annotations.OfType<ReplicaAnnotation>().LastOrDefault() is { } replicas)
        {
            deploy["replicas"] = replicas.Replicas;
        }

        if (resource.Annotations.OfType<GpuReservationAnnotation>().LastOrDefault() is { } gpus)
        {
            deploy["resources"] = GpuReservation(gpus);
        }

        return deploy.Count > 0 ? deploy : null;
    }

    /// <summary><c>resources.reservations.devices</c> for <c>all</c> GPUs or a number of them.</summary>
    private static Dictionary<string, object?> GpuReservation(GpuReservationAnnotation gpus)
    {
        object count = int.TryParse(gpus.Count, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : gpus.Count;
        return new Dictionary<string, object?>
        {
            ["reservations"] = new Dictionary<string, object?>
            {
                ["devices"] = new List<object?>
                {
                    new Dictionary<string, object?>
                    {
                        ["driver"] = "nvidia",
                        ["count"] = count,
                        ["capabilities"] = new List<object?> { "gpu" },
                    },
                },
            },
        };
    }
}
