namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// What a published app adds to the development wiring (publish mode only): container images built from the
/// Dockerfiles, the container's view of the model and data folders, GPU reservation, replicas, health probes, the API
/// key, and PostgreSQL for the scale-out profile. The resources, their references and their waits are the ones
/// Program.cs builds for development.
/// </summary>
internal static class DeploymentWiring
{
    /// <summary>The port every service listens on inside its container (ASP.NET Core images' default, HTTP_PORTS).</summary>
    public const int ContainerPort = 8080;

    public const string ModelsMountPath = "/models";
    /// <summary>The gateway's SQLite folder (ChatQnA:DataDirectory; the file is opeachat.db), a named volume.</summary>
    public const string DataMountPath = "/data";
    public const string PostgresDatabase = "conversations";
    public const string PostgresUser = "opeachat";
    public const string PostgresImage = "docker.io/pgvector/pgvector";
    public const string PostgresImageTag = "pg17";

    public static void Apply(
        IDistributedApplicationBuilder builder,
        DeploymentParameters parameters,
        string repositoryRoot,
        IResourceBuilder<ProjectResource> inference,
        IResourceBuilder<ProjectResource> chatqna,
        IResourceBuilder<ProjectResource> web)
    {
        // TLS belongs to the reverse proxy in front (docs/deployment.md); inside the compose network the services speak http.
        foreach (var project in new[] { inference, chatqna, web })
        {
            RemoveHttpsEndpoints(project.Resource);
        }

        var inferenceDockerfile = parameters.Backend == InferenceBackend.Cuda12
            ? "OpeaChat.Inference/Dockerfile"
            : "OpeaChat.Inference/Dockerfile.cpu";
        inference.PublishAsDockerFile(container => container.WithDockerfile(repositoryRoot, inferenceDockerfile));
        inference
            // The container's view of the models: replaces the development machine's paths set in Program.cs.
            .WithEnvironment("Inference__ModelsDirectory", ModelsMountPath)
            .WithEnvironment("Inference__ModelPath", ReferenceExpression.Create($"{ModelsMountPath}/{parameters.ModelFile}"))
            .WithEnvironment("Inference__GpuLayerCount", parameters.GpuLayers)
            .WithEnvironment("Inference__ContextSize", parameters.ContextSize)
            .WithEnvironment("Inference__MaxParallelSequences", parameters.ParallelSequences)
            // Pulls from Hugging Face (at start with OPEACHAT_PULL, or from the page) land in /models, which keeps them.
            .WithEnvironment("Inference__Pull", parameters.Pull)
            .WithEnvironment("HF_ENDPOINT", parameters.HfEndpoint)
            .WithEnvironment("HF_TOKEN", parameters.HfToken)
            // Reached only by the gateway, by its service name (and probed on localhost).
            .WithEnvironment("AllowedHosts", AllowedHosts("inference"))
            // Writable: models pulled from Hugging Face are saved there, and outlive the container.
            .WithAnnotation(new HostDirectoryMountAnnotation("MODELS_DIR", "./models", ModelsMountPath, ReadOnly: false,
                "Host folder with the GGUF files, mounted at /models; pulled models are saved there, so the container user (UID 1654) must be able to write it (relative paths are relative to docker-compose.yaml)."))
            .WithAnnotation(new ReplicaAnnotation(parameters.InferenceReplicas))
            .WithAnnotation(Probe(inference, startPeriodSeconds: parameters.InferenceStartPeriodSeconds));
        if (parameters.Backend == InferenceBackend.Cuda12)
        {
            inference.WithAnnotation(new GpuReservationAnnotation(parameters.GpuCount));
        }

        chatqna.PublishAsDockerFile(container =>
        {
            container.WithDockerfile(repositoryRoot, "OpeaChat.ChatQnA/Dockerfile");
            if (!parameters.ScaleOut)
            {
                container.WithVolume("opeachat-data", DataMountPath);
            }
        });
        chatqna
            // OPEA's REST clients reach the gateway on 8888 from outside.
            .WithExternalHttpEndpoints()
            .WithEnvironment("ChatQnA__ApiKeys__0", parameters.ApiKey)
            // A team's server: accounts on; the first visitor makes the admin (docs/security.md, Accounts).
            .WithEnvironment("ChatQnA__Accounts__Enabled", "true")
            .WithEnvironment("ChatQnA__Accounts__SignUp", parameters.SignUp)
            .WithEnvironment("ChatQnA__ForwarderApiKeys__0", parameters.ForwarderApiKey)
            .WithEnvironment("AllowedHosts", ReferenceExpression.Create($"{AllowedHosts("chatqna")};{parameters.PublicHosts}"))
            .WithAnnotation(Probe(chatqna, startPeriodSeconds: 20));
        if (parameters.InferenceReplicas > 1)
        {
            // Several inference replicas answer behind the one name "inference": the gateway spreads requests by queue length.
            chatqna.WithEnvironment("ChatQnA__InferenceBalancing", "LeastQueue");
        }

        if (parameters.ScaleOut)
        {
            var postgres = AddPostgres(builder, parameters.PostgresPassword!);
            var endpoint = postgres.GetEndpoint("tcp");
            // A connection string named "conversations" switches the gateway from SQLite to PostgreSQL, for the
            // conversations and (with no "documents" one) for the documents, their chunks and vectors too.
            chatqna
                .WithEnvironment("ConnectionStrings__conversations", ReferenceExpression.Create(
                    $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Database={PostgresDatabase};Username={PostgresUser};Password={parameters.PostgresPassword!}"))
                .WaitFor(postgres);
        }
        else
        {
            chatqna.WithEnvironment("ChatQnA__DataDirectory", DataMountPath);
        }

        web.PublishAsDockerFile(container => container.WithDockerfile(repositoryRoot, "OpeaChat.Web/Dockerfile"));
        web
            // The forwarder key, not the clients' one: the web speaks for the person it signed in.
            .WithEnvironment("ChatQnA__ApiKey", parameters.ForwarderApiKey)
            .WithEnvironment("AllowedHosts", ReferenceExpression.Create($"{AllowedHosts("web")};{parameters.PublicHosts}"))
            .WithAnnotation(Probe(web, startPeriodSeconds: 20));
    }

    /// <summary>This machine's names and the service's name on the compose network (docs/security.md).</summary>
    private static string AllowedHosts(string service) => $"localhost;127.0.0.1;[::1];{service}";

    /// <summary>PostgreSQL 17 with pgvector (the official image plus the extension): the document store creates it.</summary>
    private static IResourceBuilder<ContainerResource> AddPostgres(IDistributedApplicationBuilder builder, IResourceBuilder<ParameterResource> password) =>
        builder.AddContainer("postgres", PostgresImage, PostgresImageTag)
            .WithEnvironment("POSTGRES_USER", PostgresUser)
            .WithEnvironment("POSTGRES_PASSWORD", password)
            .WithEnvironment("POSTGRES_DB", PostgresDatabase)
            .WithVolume("opeachat-postgres", "/var/lib/postgresql/data")
            .WithEndpoint(targetPort: 5432, name: "tcp", scheme: "tcp")
            .WithAnnotation(new CommandHealthCheckAnnotation(
                ["CMD-SHELL", $"pg_isready -U {PostgresUser} -d {PostgresDatabase}"],
                StartPeriodSeconds: 30, IntervalSeconds: 10, TimeoutSeconds: 5, Retries: 5));

    private static EndpointProbeAnnotation Probe(IResourceBuilder<ProjectResource> project, int startPeriodSeconds) => new()
    {
        Type = ProbeType.Readiness,
        EndpointReference = project.GetEndpoint("http"),
        Path = "/health",
        InitialDelaySeconds = startPeriodSeconds,
        PeriodSeconds = 10,
        TimeoutSeconds = 5,
        FailureThreshold = 3,
        SuccessThreshold = 1,
    };

    private static void RemoveHttpsEndpoints(IResource resource)
    {
        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.UriScheme == "https").ToList())
        {
            resource.Annotations.Remove(endpoint);
        }
    }
}
