namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// A service's <c>volumes</c>: named volumes (declared once at the top of the file) and host folders whose path on the
/// server is a variable.
/// </summary>
internal sealed class ComposeVolumes(ComposeVariables variables)
{
    /// <summary>The named volumes the services use, for the file's top-level <c>volumes</c>, in the order first used.</summary>
    public Dictionary<string, object?> Declared { get; } = new(StringComparer.Ordinal);

    public List<object?> Mounts(IResource resource)
    {
        var volumes = new List<object?>();
        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            if (mount.Type != ContainerMountType.Volume || mount.Source is not { Length: > 0 } source)
            {
                throw new InvalidOperationException(
                    $"The mount '{mount.Source}' → '{mount.Target}' of '{resource.Name}' is a host path of the publishing machine; use a named volume or HostDirectoryMountAnnotation.");
            }

            Declared[source] = new Dictionary<string, object?>();
            volumes.Add(Mount("volume", source, mount.Target, mount.IsReadOnly));
        }

        foreach (var mount in resource.Annotations.OfType<HostDirectoryMountAnnotation>())
        {
            volumes.Add(Mount("bind", variables.Optional(mount.Variable, mount.DefaultSource, mount.Description), mount.Target, mount.ReadOnly));
        }

        return volumes;
    }

    private static Dictionary<string, object?> Mount(string type, string source, string target, bool readOnly)
    {
        var mount = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["type"] = type,
            ["source"] = source,
            ["target"] = target,
        };
        if (readOnly)
        {
            mount["read_only"] = true;
        }

        return mount;
    }
}
