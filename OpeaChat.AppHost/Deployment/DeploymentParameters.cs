using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace OpeaChat.AppHost.Deployment;

/// <summary>Which llama.cpp backend the inference image is built with.</summary>
internal enum InferenceBackend
{
    Cuda12,
    Cpu,
}

/// <summary>
/// The choices a deployment makes, as AppHost parameters. Each is set like any Aspire parameter:
/// <c>--Parameters:inference-replicas=2</c> after <c>--</c>, <c>Parameters__inference-replicas</c> in the environment, or
/// <c>Parameters:inference-replicas</c> in user secrets.
/// <para>
/// Two kinds: <b>shape</b> parameters (backend, GPU count, replicas, scale-out, start period) decide the structure of
/// the generated file and are fixed when it is written; <b>value</b> parameters (model file, GPU layers, context,
/// parallel sequences, API key, PostgreSQL password) become <c>${VARIABLE}</c> references that the operator sets in
/// <c>.env</c>, with the published value as the default (secrets never get one).
/// </para>
/// </summary>
internal sealed class DeploymentParameters
{
    public const string BackendName = "inference-backend";
    public const string GpuCountName = "gpu-count";
    public const string ReplicasName = "inference-replicas";
    public const string ScaleOutName = "scale-out";
    public const string StartPeriodName = "inference-start-period";
    public const string ModelFileName = "model-file";
    public const string GpuLayersName = "gpu-layers";
    public const string ContextSizeName = "context-size";
    public const string ParallelSequencesName = "parallel-sequences";
    public const string ApiKeyName = "api-key";
    public const string InferenceApiKeyName = "inference-api-key";
    public const string ForwarderApiKeyName = "forwarder-api-key";
    public const string SignUpName = "sign-up";

    /// <summary>Development only (OPEACHAT_ACCOUNTS): a deployment always has accounts.</summary>
    public const string AccountsName = "opeachat-accounts";
    public const string PublicHostsName = "public-hosts";
    public const string PostgresPasswordName = "postgres-password";
    public const string PullName = "opeachat-pull";
    public const string HfEndpointName = "hf-endpoint";
    public const string HfTokenName = "hf-token";

    /// <summary>The Hugging Face hub pulls reach unless HF_ENDPOINT names a mirror.</summary>
    public const string DefaultHfEndpoint = "https://huggingface.co";

    /// <summary>The model file named when neither OPEACHAT_MODEL nor models/ gives one (the README's example).</summary>
    public const string FallbackModelFile = "Llama-3.2-3B-Instruct-Q6_K_L.gguf";

    private DeploymentParameters()
    {
    }

    public InferenceBackend Backend { get; private init; }

    /// <summary>GPUs each inference replica reserves: <c>all</c> or a positive number.</summary>
    public string GpuCount { get; private init; } = "all";

    public int InferenceReplicas { get; private init; }

    /// <summary>Conversations in PostgreSQL (a <c>postgres</c> service) instead of SQLite in a volume.</summary>
    public bool ScaleOut { get; private init; }

    /// <summary>Seconds a starting inference container may stay unhealthy while it loads the model.</summary>
    public int InferenceStartPeriodSeconds { get; private init; }

    public IResourceBuilder<ParameterResource> ModelFile { get; private init; } = null!;

    public IResourceBuilder<ParameterResource> GpuLayers { get; private init; } = null!;

    public IResourceBuilder<ParameterResource> ContextSize { get; private init; } = null!;

    public IResourceBuilder<ParameterResource> ParallelSequences { get; private init; } = null!;

    public IResourceBuilder<ParameterResource> ApiKey { get; private init; } = null!;

    /// <summary>The key between the gateway and inference (Inference:ApiKeys:0, ChatQnA:InferenceApiKey).</summary>
    public IResourceBuilder<ParameterResource> InferenceApiKey { get; private init; } = null!;

    /// <summary>
    /// The key the web sends to the gateway (ChatQnA:ForwarderApiKeys:0, the web's ChatQnA:ApiKey): with it alone the
    /// web names the signed-in person of each call. Not the clients' key, which acts as a service.
    /// </summary>
    public IResourceBuilder<ParameterResource> ForwarderApiKey { get; private init; } = null!;

    /// <summary>Who may make an account after the first admin: closed, approval or open (ChatQnA:Accounts:SignUp).</summary>
    public IResourceBuilder<ParameterResource> SignUp { get; private init; } = null!;

    /// <summary>Host names people and clients use to reach the gateway and the web page (added to their AllowedHosts).</summary>
    public IResourceBuilder<ParameterResource> PublicHosts { get; private init; } = null!;

    /// <summary>A model inference pulls from Hugging Face at start when it is not in the models folder (Inference:Pull); empty: none.</summary>
    public IResourceBuilder<ParameterResource> Pull { get; private init; } = null!;

    /// <summary>The hub (or a mirror) pulls come from: HF_ENDPOINT in the container.</summary>
    public IResourceBuilder<ParameterResource> HfEndpoint { get; private init; } = null!;

    /// <summary>A Hugging Face token for gated and private models: HF_TOKEN in the container, a secret that may stay empty.</summary>
    public IResourceBuilder<ParameterResource> HfToken { get; private init; } = null!;

    /// <summary>Only with <see cref="ScaleOut"/>.</summary>
    public IResourceBuilder<ParameterResource>? PostgresPassword { get; private init; }

    /// <summary>Adds the deployment parameters to the app model and checks the shape parameters.</summary>
    public static DeploymentParameters Add(IDistributedApplicationBuilder builder, ModelSelection model)
    {
        var configuration = builder.Configuration;
        var backendText = Value(configuration, BackendName, "cuda12");
        var backend = backendText.ToUpperInvariant() switch
        {
            "CUDA12" => InferenceBackend.Cuda12,
            "CPU" => InferenceBackend.Cpu,
            _ => throw Invalid(BackendName, backendText, "cuda12 or cpu"),
        };

        var gpuCount = Value(configuration, GpuCountName, "all").ToLowerInvariant();
        if (gpuCount != "all" && !(int.TryParse(gpuCount, NumberStyles.None, CultureInfo.InvariantCulture, out var gpus) && gpus is >= 1 and <= 64))
        {
            throw Invalid(GpuCountName, gpuCount, "all or a number of GPUs from 1 to 64");
        }

        var replicas = Integer(configuration, ReplicasName, 1, 1, 64);
        var scaleOut = Value(configuration, ScaleOutName, "false").ToLowerInvariant() switch
        {
            "true" or "on" or "yes" or "1" => true,
            "false" or "off" or "no" or "0" => false,
            var other => throw Invalid(ScaleOutName, other, "true or false"),
        };
        var startPeriod = Integer(configuration, StartPeriodName, 600, 10, 7200);

        var gpuLayers = Integer(configuration, GpuLayersName, backend == InferenceBackend.Cuda12 ? -1 : 0, -1, 10_000);
        var contextSize = Integer(configuration, ContextSizeName, 8192, 0, 1_048_576);
        var parallel = Integer(configuration, ParallelSequencesName, 4, 1, 256);
        var signUp = Value(configuration, SignUpName, "approval").ToLowerInvariant();
        if (signUp is not ("closed" or "approval" or "open"))
        {
            throw Invalid(SignUpName, signUp, "closed, approval or open");
        }

        var modelFile = Value(configuration, ModelFileName, model.ModelPath is { } path ? Path.GetFileName(path) : FallbackModelFile);
        if (modelFile.Contains('/', StringComparison.Ordinal) || modelFile.Contains('\\', StringComparison.Ordinal) || modelFile.Contains('$', StringComparison.Ordinal))
        {
            throw Invalid(ModelFileName, modelFile, "a file name inside the models folder, without a path");
        }

        // Shape parameters are recorded in the model too, so the dashboard, the manifest and the compose header show them.
        Shape(builder, BackendName, backendText.ToLowerInvariant(), "Inference image: cuda12 (OpeaChat.Inference/Dockerfile) or cpu (Dockerfile.cpu).");
        Shape(builder, GpuCountName, gpuCount, "GPUs each inference replica reserves: all or a number.");
        Shape(builder, ReplicasName, replicas.ToString(CultureInfo.InvariantCulture), "Inference replicas (deploy.replicas).");
        Shape(builder, ScaleOutName, scaleOut ? "true" : "false", "true: conversations in a postgres service instead of SQLite in a volume.");
        Shape(builder, StartPeriodName, startPeriod.ToString(CultureInfo.InvariantCulture), "Seconds inference may take to load its model before its health check counts.");

        return new DeploymentParameters
        {
            Backend = backend,
            GpuCount = gpuCount,
            InferenceReplicas = replicas,
            ScaleOut = scaleOut,
            InferenceStartPeriodSeconds = startPeriod,
            ModelFile = Setting(builder, ModelFileName, modelFile, "GGUF file in the models folder that inference serves."),
            GpuLayers = Setting(builder, GpuLayersName, gpuLayers.ToString(CultureInfo.InvariantCulture), "Layers offloaded to the GPU: -1 all, 0 none (Inference:GpuLayerCount)."),
            ContextSize = Setting(builder, ContextSizeName, contextSize.ToString(CultureInfo.InvariantCulture), "KV-cache tokens shared by all parallel sequences (Inference:ContextSize)."),
            ParallelSequences = Setting(builder, ParallelSequencesName, parallel.ToString(CultureInfo.InvariantCulture), "Requests decoded together (Inference:MaxParallelSequences)."),
            ApiKey = builder.AddParameter(ApiKeyName, secret: true)
                .WithDescription("API key that REST clients send to the gateway, acting as a service (ChatQnA:ApiKeys:0). Generate one with: openssl rand -hex 32"),
            InferenceApiKey = builder.AddParameter(InferenceApiKeyName, secret: true)
                .WithDescription("API key the gateway sends to inference (Inference:ApiKeys:0, ChatQnA:InferenceApiKey). Generate one with: openssl rand -hex 32"),
            ForwarderApiKey = builder.AddParameter(ForwarderApiKeyName, secret: true)
                .WithDescription("API key the web page sends to the gateway to speak for the signed-in person (ChatQnA:ForwarderApiKeys:0); never give it to a client. Generate one with: openssl rand -hex 32"),
            SignUp = Setting(builder, SignUpName, signUp,
                "Who may make an account after the first (the first visitor makes the admin): closed, approval (an admin approves) or open (ChatQnA:Accounts:SignUp)."),
            PublicHosts = Setting(builder, PublicHostsName, "localhost",
                "Host names (;-separated) people use to reach the web page and the gateway, such as chat.example.com (AllowedHosts)."),
            // OPEACHAT_PULL in the environment, as in development; an empty value pulls nothing.
            Pull = Setting(builder, PullName, Value(configuration, PullName, configuration["OPEACHAT_PULL"]?.Trim() ?? string.Empty),
                "Model pulled from Hugging Face at start when it is not in the models folder, such as bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M (Inference:Pull); empty: none."),
            HfEndpoint = Setting(builder, HfEndpointName, Value(configuration, HfEndpointName, DefaultHfEndpoint),
                "Hugging Face hub (or mirror) that pulls download from (HF_ENDPOINT)."),
            HfToken = builder.AddParameter(HfTokenName, secret: true)
                .WithDescription("Hugging Face access token for gated or private models (HF_TOKEN); may stay empty.")
                .WithAnnotation(new OptionalSecretAnnotation()),
            PostgresPassword = scaleOut
                ? builder.AddParameter(PostgresPasswordName, secret: true)
                    .WithDescription("Password of the PostgreSQL user opeachat. Generate one with: openssl rand -hex 24")
                : null,
        };
    }

    private static string Value(IConfiguration configuration, string name, string fallback) =>
        configuration[$"Parameters:{name}"] is { Length: > 0 } configured ? configured.Trim() : fallback;

    private static int Integer(IConfiguration configuration, string name, int fallback, int minimum, int maximum)
    {
        var text = Value(configuration, name, fallback.ToString(CultureInfo.InvariantCulture));
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum
            ? value
            : throw Invalid(name, text, $"a whole number from {minimum} to {maximum}");
    }

    private static DistributedApplicationException Invalid(string name, string value, string expected) =>
        new($"Parameter '{name}' is '{value}'; expected {expected}. Set it with --Parameters:{name}=VALUE.");

    private static void Shape(IDistributedApplicationBuilder builder, string name, string value, string description) =>
        builder.AddParameter(name, value).WithDescription(description).WithAnnotation(new DeploymentShapeAnnotation());

    private static IResourceBuilder<ParameterResource> Setting(IDistributedApplicationBuilder builder, string name, string value, string description) =>
        builder.AddParameter(name, value, publishValueAsDefault: true).WithDescription(description);
}
