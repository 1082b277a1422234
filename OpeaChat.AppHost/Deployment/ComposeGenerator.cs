using System.Globalization;

namespace OpeaChat.AppHost.Deployment;

/// <summary>The generated compose file as plain data (ordered maps and lists), and the variables it uses.</summary>
internal sealed record ComposeDocument(Dictionary<string, object?> Root, ComposeVariables Variables, IReadOnlyList<string> ShapeLines);

/// <summary>
/// Turns the published Aspire app model into a docker compose file. Everything comes from the model: each container
/// resource (projects become containers through <c>PublishAsDockerFile</c>) is a service; its environment is what the
/// resource's environment callbacks produce, with endpoint references turned into addresses on the compose network
/// and parameters into <c>${VARIABLE}</c> references; endpoints marked external are published on the host; wait
/// annotations become <c>depends_on</c> conditions; probes become health checks; volumes, replicas and GPU
/// reservations come from their annotations. Anything the model holds that this generator cannot express stops the
/// publishing with a message, so the file never silently drifts from the development wiring.
/// </summary>
internal sealed class ComposeGenerator(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, string outputDirectory)
{
    public const string ProjectName = "opeachat";
    public const string ImageTagVariable = "OPEACHAT_IMAGE_TAG";
    public const string RestartPolicy = "unless-stopped";

    private readonly ComposeVariables _variables = new();
    private readonly Dictionary<string, object?> _volumes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IResource> _services = new(StringComparer.Ordinal);

    public async Task<ComposeDocument> GenerateAsync(CancellationToken cancellationToken)
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
                    _services.Add(container.Name, container);
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

        var services = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            services[container.Name] = await ServiceAsync(container, cancellationToken).ConfigureAwait(false);
        }

        var root = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = ProjectName,
            ["services"] = services,
        };
        if (_volumes.Count > 0)
        {
            root["volumes"] = _volumes;
        }

        var shape = new List<string>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(p => p.Annotations.OfType<DeploymentShapeAnnotation>().Any()))
        {
            shape.Add($"{parameter.Name}={await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false)}");
        }

        return new ComposeDocument(root, _variables, shape);
    }

    private async Task<Dictionary<string, object?>> ServiceAsync(ContainerResource container, CancellationToken cancellationToken)
    {
        var service = new Dictionary<string, object?>(StringComparer.Ordinal);
        await AddImageAsync(container, service, cancellationToken).ConfigureAwait(false);

        var environment = await EnvironmentAsync(container, cancellationToken).ConfigureAwait(false);
        if (environment.Count > 0)
        {
            service["environment"] = environment;
        }

        var ports = Ports(container);
        if (ports.Count > 0)
        {
            service["ports"] = ports;
        }

        var volumes = Volumes(container);
        if (volumes.Count > 0)
        {
            service["volumes"] = volumes;
        }

        var dependsOn = DependsOn(container);
        if (dependsOn.Count > 0)
        {
            service["depends_on"] = dependsOn;
        }

        if (HealthCheck(container) is { } healthCheck)
        {
            service["healthcheck"] = healthCheck;
        }

        service["restart"] = RestartPolicy;
        service["logging"] = new Dictionary<string, object?>
        {
            ["driver"] = "json-file",
            ["options"] = new Dictionary<string, object?>
            {
                ["max-size"] = _variables.Optional("LOG_MAX_SIZE", "10m", "Largest container log file before it is rotated (json-file driver)."),
                ["max-file"] = _variables.Optional("LOG_MAX_FILE", "5", "Rotated log files kept per container."),
            },
        };

        if (Deploy(container) is { } deploy)
        {
            service["deploy"] = deploy;
        }

        return service;
    }

    private async Task AddImageAsync(ContainerResource container, Dictionary<string, object?> service, CancellationToken cancellationToken)
    {
        if (container.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault() is { } build)
        {
            service["image"] = $"{ProjectName}/{container.Name}:" + _variables.Optional(ImageTagVariable, "latest", "Tag of the images docker compose builds (opeachat/inference, …); set a new one per release to keep the previous images for a rollback.");
            var buildNode = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["context"] = RelativePath(outputDirectory, build.ContextPath),
                ["dockerfile"] = RelativePath(build.ContextPath, build.DockerfilePath),
            };
            if (build.Stage is { Length: > 0 } stage)
            {
                buildNode["target"] = stage;
            }

            if (build.BuildArguments.Count > 0)
            {
                var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (name, value) in build.BuildArguments)
                {
                    arguments[name] = await MapAsync(value, cancellationToken).ConfigureAwait(false);
                }

                buildNode["args"] = arguments;
            }

            service["build"] = buildNode;
            return;
        }

        if (container.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault() is { } image)
        {
            var name = image.Registry is { Length: > 0 } registry ? $"{registry}/{image.Image}" : image.Image;
            service["image"] = image.SHA256 is { Length: > 0 } digest ? $"{name}@sha256:{digest}" : $"{name}:{image.Tag ?? "latest"}";
            return;
        }

        throw new InvalidOperationException($"The container '{container.Name}' has neither an image nor a Dockerfile.");
    }

    private async Task<Dictionary<string, object?>> EnvironmentAsync(IResource resource, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(executionContext, resource, values, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context).ConfigureAwait(false);
        }

        var environment = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            environment[name] = await MapAsync(value, cancellationToken).ConfigureAwait(false);
        }

        return environment;
    }

    private List<object?> Ports(IResource resource)
    {
        var ports = new List<object?>();
        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(endpoint => endpoint.IsExternal))
        {
            var target = TargetPort(resource, endpoint);
            var variable = ComposeVariables.NameOf(endpoint.Name == "http" ? $"{resource.Name}-port" : $"{resource.Name}-{endpoint.Name}-port");
            var hostPort = _variables.Optional(variable, (endpoint.Port ?? target).ToString(CultureInfo.InvariantCulture), $"Host port of {resource.Name} ({endpoint.Name}).");
            ports.Add($"{hostPort}:{target.ToString(CultureInfo.InvariantCulture)}");
        }

        return ports;
    }

    private List<object?> Volumes(IResource resource)
    {
        var volumes = new List<object?>();
        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            if (mount.Type != ContainerMountType.Volume || mount.Source is not { Length: > 0 } source)
            {
                throw new InvalidOperationException(
                    $"The mount '{mount.Source}' → '{mount.Target}' of '{resource.Name}' is a host path of the publishing machine; use a named volume or HostDirectoryMountAnnotation.");
            }

            _volumes[source] = new Dictionary<string, object?>();
            volumes.Add(Mount("volume", source, mount.Target, mount.IsReadOnly));
        }

        foreach (var mount in resource.Annotations.OfType<HostDirectoryMountAnnotation>())
        {
            volumes.Add(Mount("bind", _variables.Optional(mount.Variable, mount.DefaultSource, mount.Description), mount.Target, mount.ReadOnly));
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

    private Dictionary<string, object?> DependsOn(IResource resource)
    {
        var dependsOn = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var wait in resource.Annotations.OfType<WaitAnnotation>())
        {
            var name = wait.Resource.Name;
            if (!_services.TryGetValue(name, out var target))
            {
                throw new InvalidOperationException($"'{resource.Name}' waits for '{name}', which is not a service of the compose file.");
            }

            var condition = wait.WaitType switch
            {
                WaitType.WaitUntilHealthy => "service_healthy",
                WaitType.WaitForCompletion => "service_completed_successfully",
                _ => "service_started",
            };
            if (condition == "service_healthy" && HealthCheck(target) is null)
            {
                throw new InvalidOperationException($"'{resource.Name}' waits for '{name}' to be healthy, but '{name}' has no probe to become healthy by.");
            }

            dependsOn[name] = new Dictionary<string, object?> { ["condition"] = condition };
        }

        return dependsOn;
    }

    private static Dictionary<string, object?>? HealthCheck(IResource resource)
    {
        if (resource.Annotations.OfType<CommandHealthCheckAnnotation>().LastOrDefault() is { } command)
        {
            return HealthCheckNode([.. command.Test], command.IntervalSeconds, command.TimeoutSeconds, command.Retries, command.StartPeriodSeconds);
        }

        var probes = resource.Annotations.OfType<EndpointProbeAnnotation>().ToList();
        var probe = probes.FirstOrDefault(p => p.Type == ProbeType.Readiness)
            ?? probes.FirstOrDefault(p => p.Type == ProbeType.Startup)
            ?? probes.FirstOrDefault(p => p.Type == ProbeType.Liveness);
        if (probe is null)
        {
            return null;
        }

        var port = TargetPort(resource, probe.EndpointReference.EndpointAnnotation);
        var url = $"{probe.EndpointReference.EndpointAnnotation.UriScheme}://localhost:{port.ToString(CultureInfo.InvariantCulture)}{probe.Path}";
        // The images install curl for this (ASP.NET Core images have no HTTP client of their own).
        List<object?> test = ["CMD", "curl", "--fail", "--silent", "--show-error", "--output", "/dev/null", "--max-time", probe.TimeoutSeconds.ToString(CultureInfo.InvariantCulture), url];
        return HealthCheckNode(test, probe.PeriodSeconds, probe.TimeoutSeconds, probe.FailureThreshold, probe.InitialDelaySeconds);
    }

    private static Dictionary<string, object?> HealthCheckNode(List<object?> test, int interval, int timeout, int retries, int startPeriod) => new()
    {
        ["test"] = test,
        ["interval"] = Seconds(interval),
        ["timeout"] = Seconds(timeout),
        ["retries"] = retries,
        ["start_period"] = Seconds(startPeriod),
    };

    private static Dictionary<string, object?>? Deploy(IResource resource)
    {
        var deploy = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (resource.Annotations.OfType<ReplicaAnnotation>().LastOrDefault() is { } replicas)
        {
            deploy["replicas"] = replicas.Replicas;
        }

        if (resource.Annotations.OfType<GpuReservationAnnotation>().LastOrDefault() is { } gpus)
        {
            object count = int.TryParse(gpus.Count, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : gpus.Count;
            deploy["resources"] = new Dictionary<string, object?>
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

        return deploy.Count > 0 ? deploy : null;
    }

    /// <summary>A value of the app model as compose text: literals escaped, parameters as variables, endpoints as network addresses.</summary>
    private async Task<string> MapAsync(object? value, CancellationToken cancellationToken)
    {
        switch (value)
        {
            case null:
                return string.Empty;
            case string text:
                return Escape(text);
            case ParameterResource parameter:
                return await VariableAsync(parameter, cancellationToken).ConfigureAwait(false);
            case IResourceBuilder<ParameterResource> parameterBuilder:
                return await VariableAsync(parameterBuilder.Resource, cancellationToken).ConfigureAwait(false);
            case EndpointReference endpoint:
                return Endpoint(endpoint, EndpointProperty.Url);
            case EndpointReferenceExpression expression:
                return Endpoint(expression.Endpoint, expression.Property);
            case ConnectionStringReference connection:
                return await MapAsync(connection.Resource.ConnectionStringExpression, cancellationToken).ConfigureAwait(false);
            case IResourceWithConnectionString connection:
                return await MapAsync(connection.ConnectionStringExpression, cancellationToken).ConfigureAwait(false);
            case ReferenceExpression expression:
                return await ExpressionAsync(expression, cancellationToken).ConfigureAwait(false);
            case bool flag:
                return flag ? "true" : "false";
            case IFormattable formattable:
                return Escape(formattable.ToString(null, CultureInfo.InvariantCulture));
            default:
                throw new InvalidOperationException($"A value of type {value.GetType().Name} has no docker compose form.");
        }
    }

    private async Task<string> ExpressionAsync(ReferenceExpression expression, CancellationToken cancellationToken)
    {
        if (expression.IsConditional)
        {
            // The condition must be known when publishing (for example an endpoint's TLS flag); the chosen branch is written.
            var condition = await MapAsync(expression.Condition, cancellationToken).ConfigureAwait(false);
            if (condition.Contains("${", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The conditional expression '{expression.ValueExpression}' depends on a deployment variable.");
            }

            var branch = string.Equals(condition, expression.MatchValue, StringComparison.OrdinalIgnoreCase) ? expression.WhenTrue : expression.WhenFalse;
            return await MapAsync(branch, cancellationToken).ConfigureAwait(false);
        }

        var arguments = new object?[expression.ValueProviders.Count];
        for (var index = 0; index < arguments.Length; index++)
        {
            var mapped = await MapAsync(expression.ValueProviders[index], cancellationToken).ConfigureAwait(false);
            var format = index < expression.StringFormats.Count ? expression.StringFormats[index] : null;
            arguments[index] = format switch
            {
                null => mapped,
                "uri" when !mapped.Contains("${", StringComparison.Ordinal) => Uri.EscapeDataString(mapped),
                _ => throw new InvalidOperationException($"The format '{format}' in '{expression.ValueExpression}' cannot be applied to a deployment variable."),
            };
        }

        // The format's literal text is the model's own: escape it for compose; the arguments are already compose text.
        return string.Format(CultureInfo.InvariantCulture, Escape(expression.Format), arguments);
    }

    private async Task<string> VariableAsync(ParameterResource parameter, CancellationToken cancellationToken)
    {
        var name = ComposeVariables.NameOf(parameter.Name);
        var description = parameter.Description ?? $"AppHost parameter {parameter.Name}.";
        if (parameter.Secret)
        {
            // A secret's value is never read here, so it cannot reach the file.
            return _variables.Required(name, secret: true, description);
        }

        var value = await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        return _variables.Optional(name, value, description);
    }

    /// <summary>An endpoint as another service on the compose network sees it: the service name and the container port.</summary>
    private string Endpoint(EndpointReference endpoint, EndpointProperty property)
    {
        if (!_services.ContainsKey(endpoint.Resource.Name))
        {
            throw new InvalidOperationException($"An endpoint of '{endpoint.Resource.Name}' is referenced, but '{endpoint.Resource.Name}' is not a service of the compose file.");
        }

        if (!endpoint.Exists)
        {
            throw new InvalidOperationException($"The endpoint '{endpoint.EndpointName}' of '{endpoint.Resource.Name}' is referenced but does not exist in the published model.");
        }

        var annotation = endpoint.EndpointAnnotation;
        var host = endpoint.Resource.Name;
        var port = TargetPort(endpoint.Resource, annotation).ToString(CultureInfo.InvariantCulture);
        return property switch
        {
            EndpointProperty.Url => $"{annotation.UriScheme}://{host}:{port}",
            EndpointProperty.Host or EndpointProperty.IPV4Host => host,
            EndpointProperty.Port or EndpointProperty.TargetPort => port,
            EndpointProperty.HostAndPort => $"{host}:{port}",
            EndpointProperty.Scheme => annotation.UriScheme,
            EndpointProperty.TlsEnabled => annotation.TlsEnabled ? "true" : "false",
            _ => throw new InvalidOperationException($"The endpoint property {property} has no docker compose form."),
        };
    }

    private static int TargetPort(IResource resource, EndpointAnnotation endpoint) =>
        endpoint.TargetPort ?? throw new InvalidOperationException($"The endpoint '{endpoint.Name}' of '{resource.Name}' has no container port.");

    private static string Seconds(int seconds) => $"{seconds.ToString(CultureInfo.InvariantCulture)}s";

    /// <summary>Compose reads <c>$</c> as the start of a variable; a literal one is written <c>$$</c>.</summary>
    private static string Escape(string text) => text.Replace("$", "$$", StringComparison.Ordinal);

    private static string RelativePath(string from, string to)
    {
        var relative = Path.GetRelativePath(from, to).Replace('\\', '/');
        return relative == "." ? "." : relative;
    }
}
