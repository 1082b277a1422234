namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// Turns the published Aspire app model into a docker compose file. Everything comes from the model: each container
/// resource (projects become containers through <c>PublishAsDockerFile</c>) is a service (<see cref="ComposeServiceBuilder"/>);
/// its environment is what the resource's environment callbacks produce, with endpoint references turned into
/// addresses on the compose network and parameters into <c>${VARIABLE}</c> references (<see cref="ComposeValues"/>);
/// endpoints marked external are published on the host; wait annotations become <c>depends_on</c> conditions; probes
/// become health checks; volumes, replicas and GPU reservations come from their annotations. Anything the model holds
/// that this generator cannot express stops the publishing with a message, so the file never silently drifts from the
/// development wiring.
/// </summary>
internal sealed class ComposeGenerator(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, string outputDirectory)
{
    public const string ProjectName = "opeachat";
    public const string ImageTagVariable = "OPEACHAT_IMAGE_TAG";
    public const string RestartPolicy = "unless-stopped";

    public async Task<ComposeDocument> GenerateAsync(CancellationToken cancellationToken)
    {
        var containers = PublishedContainers();
        var variables = new ComposeVariables();
        var byName = containers.ToDictionary(container => container.Name, IResource (container) => container, StringComparer.Ordinal);
        var volumes = new ComposeVolumes(variables);
        var values = new ComposeValues(variables, byName);
        var builder = new ComposeServiceBuilder(executionContext, variables, values, volumes, byName, outputDirectory);

        var services = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            services[container.Name] = await builder.ServiceAsync(container, cancellationToken).ConfigureAwait(false);
        }

        var root = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = ProjectName,
            ["services"] = services,
        };
        if (volumes.Declared.Count > 0)
        {
            root["volumes"] = volumes.Declared;
        }

        return new ComposeDocument(root, variables, await ShapeLinesAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The resources that become services, in the model's order; anything else must be excluded from publishing.</summary>
    private List<ContainerResource> PublishedContainers()
    {
        var containers = new List<ContainerResource>();
        foreach (var resource in model.Resources)
        {
            switch (resource)
            {
                case ParameterResource:
                    // Parameters become variables where a service uses them.
                    break;
                case ContainerResource container when !container.IsExcludedFromPublish():
                    containers.Add(container);
                    break;
                case ProjectResource project:
                    throw new InvalidOperationException($"The project '{project.Name}' has no container image: publish it with PublishAsDockerFile (see DeploymentWiring).");
                default:
                    if (!resource.IsExcludedFromPublish())
                    {
                        throw new InvalidOperationException($"The resource '{resource.Name}' ({resource.GetType().Name}) has no docker compose form.");
                    }

                    break;
            }
        }

        return containers;
    }

    /// <summary>The parameters that shaped the file (fixed when publishing), as <c>name=value</c> for its header.</summary>
    private async Task<List<string>> ShapeLinesAsync(CancellationToken cancellationToken)
    {
        var shape = new List<string>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(p => p.Annotations.OfType<DeploymentShapeAnnotation>().Any()))
        {
            shape.Add($"{parameter.Name}={await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false)}");
        }

        return shape;
    }
}
