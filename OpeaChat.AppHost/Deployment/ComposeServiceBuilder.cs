namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// One service of the compose file from one container resource: its image or build, environment, published ports,
/// volumes, <c>depends_on</c>, health check, restart policy, logging and deploy section, in that order (the order of
/// the keys in the file, and the order in which .env.example lists the variables they use).
/// </summary>
internal sealed class ComposeServiceBuilder(
    DistributedApplicationExecutionContext executionContext,
    ComposeVariables variables,
    ComposeValues values,
    ComposeVolumes volumes,
    IReadOnlyDictionary<string, IResource> services,
    string outputDirectory)
{
    public async Task<Dictionary<string, object?>> ServiceAsync(ContainerResource container, CancellationToken cancellationToken)
    {
        var service = new Dictionary<string, object?>(StringComparer.Ordinal);
        await ComposeImage.AddAsync(container, service, variables, values, outputDirectory, cancellationToken).ConfigureAwait(false);

        var environment = await EnvironmentAsync(container, cancellationToken).ConfigureAwait(false);
        if (environment.Count > 0)
        {
            service["environment"] = environment;
        }

        var ports = ComposePorts.Published(container, variables);
        if (ports.Count > 0)
        {
            service["ports"] = ports;
        }

        var mounts = volumes.Mounts(container);
        if (mounts.Count > 0)
        {
            service["volumes"] = mounts;
        }

        var dependsOn = DependsOn(container);
        if (dependsOn.Count > 0)
        {
            service["depends_on"] = dependsOn;
        }

        if (ComposeHealthCheck.For(container) is { } healthCheck)
        {
            service["healthcheck"] = healthCheck;
        }

        service["restart"] = ComposeGenerator.RestartPolicy;
        service["logging"] = Logging();

        if (ComposeDeploy.For(container) is { } deploy)
        {
            service["deploy"] = deploy;
        }

        return service;
    }

    /// <summary>What the resource's environment callbacks produce, as compose text.</summary>
    private async Task<Dictionary<string, object?>> EnvironmentAsync(IResource resource, CancellationToken cancellationToken)
    {
        var produced = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(executionContext, resource, produced, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context).ConfigureAwait(false);
        }

        var environment = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in produced)
        {
            environment[name] = await values.MapAsync(value, cancellationToken).ConfigureAwait(false);
        }

        return environment;
    }

    /// <summary>Wait annotations as <c>depends_on</c> conditions; a wait for health needs a health check to wait for.</summary>
    private Dictionary<string, object?> DependsOn(IResource resource)
    {
        var dependsOn = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var wait in resource.Annotations.OfType<WaitAnnotation>())
        {
            var name = wait.Resource.Name;
            if (!services.TryGetValue(name, out var target))
            {
                throw new InvalidOperationException($"'{resource.Name}' waits for '{name}', which is not a service of the compose file.");
            }

            var condition = wait.WaitType switch
            {
                WaitType.WaitUntilHealthy => "service_healthy",
                WaitType.WaitForCompletion => "service_completed_successfully",
                _ => "service_started",
            };
            if (condition == "service_healthy" && ComposeHealthCheck.For(target) is null)
            {
                throw new InvalidOperationException($"'{resource.Name}' waits for '{name}' to be healthy, but '{name}' has no probe to become healthy by.");
            }

            dependsOn[name] = new Dictionary<string, object?> { ["condition"] = condition };
        }

        return dependsOn;
    }

    /// <summary>Rotated json-file logs, sized by variables.</summary>
    private Dictionary<string, object?> Logging() => new()
    {
        ["driver"] = "json-file",
        ["options"] = new Dictionary<string, object?>
        {
            ["max-size"] = variables.Optional("LOG_MAX_SIZE", "10m", "Largest container log file before it is rotated (json-file driver)."),
            ["max-file"] = variables.Optional("LOG_MAX_FILE", "5", "Rotated log files kept per container."),
        },
    };
}
