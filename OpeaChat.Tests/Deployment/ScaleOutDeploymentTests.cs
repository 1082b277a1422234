using OpeaChat.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace OpeaChat.Tests.Deployment;

/// <summary>The scale-out profile: three inference replicas on two GPUs each, conversations in PostgreSQL, tuned values.</summary>
public sealed class ScaleOutDeployment : PublishedDeployment
{
    public const string ApiKeySecret = "sk-test-8d2b44c0-never-in-a-file";
    public const string PostgresSecret = "pg-test-51e0aa9b-never-in-a-file";

    protected override IReadOnlyList<string> Parameters =>
    [
        "--Parameters:inference-replicas=3",
        "--Parameters:gpu-count=2",
        "--Parameters:scale-out=true",
        "--Parameters:model-file=Qwen2.5-7B-Instruct-Q4_K_M.gguf",
        "--Parameters:gpu-layers=40",
        "--Parameters:context-size=32768",
        "--Parameters:parallel-sequences=8",
        $"--Parameters:api-key={ApiKeySecret}",
        $"--Parameters:postgres-password={PostgresSecret}",
        $"--Parameters:opeachat-pull={Pull}",
        "--Parameters:hf-endpoint=http://hf-mirror.internal:8080",
    ];

    public const string Pull = "bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M";
}

[Collection(AppHostRunCollection.Name)]
public sealed class ScaleOutDeploymentTests(ScaleOutDeployment deployment) : IClassFixture<ScaleOutDeployment>
{
    [Fact]
    public void Inference_runs_the_requested_replicas_each_reserving_the_requested_gpus()
    {
        var deploy = deployment.Service("inference").Map("deploy");
        Assert.Equal("3", deploy.Scalar("replicas"));
        var device = Assert.IsType<YamlMappingNode>(Assert.Single(deploy.Map("resources").Map("reservations").Sequence("devices").Children));
        Assert.Equal("2", device.Scalar("count"));
        Assert.Equal("nvidia", device.Scalar("driver"));
    }

    [Fact]
    public void The_published_pull_and_hub_become_the_variables_defaults()
    {
        var environment = deployment.Service("inference").Map("environment");
        Assert.Equal($"${{OPEACHAT_PULL:-{ScaleOutDeployment.Pull}}}", environment.Scalar("Inference__Pull"));
        Assert.Equal("${HF_ENDPOINT:-http://hf-mirror.internal:8080}", environment.Scalar("HF_ENDPOINT"));
    }

    [Fact]
    public void The_gateway_is_told_to_spread_requests_over_the_replicas()
    {
        var environment = deployment.Service("chatqna").Map("environment");
        Assert.Equal("LeastQueue", environment.Scalar("ChatQnA__InferenceBalancing"));
        Assert.Equal("http://inference:8080", environment.Scalar("services__inference__http__0"));
    }

    [Fact]
    public void A_postgres_service_holds_the_conversations_and_the_gateway_waits_for_it()
    {
        Assert.Equal(["chatqna", "inference", "postgres", "web"], deployment.Services.Keys().Order());
        var postgres = deployment.Service("postgres");
        // The document store needs pgvector (CREATE EXTENSION vector), which the official postgres image lacks.
        Assert.Equal("docker.io/pgvector/pgvector:pg17", postgres.Scalar("image"));
        Assert.Contains("pg_isready", string.Join(' ', postgres.Map("healthcheck").Sequence("test").Scalars()), StringComparison.Ordinal);
        var mount = Assert.IsType<YamlMappingNode>(Assert.Single(postgres.Sequence("volumes").Children));
        Assert.Equal("opeachat-postgres", mount.Scalar("source"));
        Assert.Equal("/var/lib/postgresql/data", mount.Scalar("target"));
        Assert.False(postgres.Has("ports"), "PostgreSQL stays inside the compose network.");
        Assert.StartsWith("${POSTGRES_PASSWORD:?", postgres.Map("environment").Scalar("POSTGRES_PASSWORD"), StringComparison.Ordinal);

        var chatqna = deployment.Service("chatqna");
        Assert.Equal("service_healthy", chatqna.Map("depends_on").Map("postgres").Scalar("condition"));
        Assert.Equal("service_healthy", chatqna.Map("depends_on").Map("inference").Scalar("condition"));
        var connection = chatqna.Map("environment").Scalar("ConnectionStrings__conversations");
        Assert.StartsWith("Host=postgres;Port=5432;Database=conversations;Username=opeachat;Password=${POSTGRES_PASSWORD:?", connection, StringComparison.Ordinal);
        Assert.False(chatqna.Map("environment").Has("ChatQnA__DataDirectory"));
        // The documents follow the conversations into the same database unless a "documents" connection string is set.
        Assert.False(chatqna.Map("environment").Has("ConnectionStrings__documents"));
        Assert.False(chatqna.Has("volumes"), "With PostgreSQL the gateway keeps no local database.");
        Assert.Equal(["opeachat-postgres"], deployment.Compose.Map("volumes").Keys());
    }

    [Fact]
    public void No_secret_reaches_the_files()
    {
        foreach (var file in Directory.EnumerateFiles(deployment.OutputDirectory, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(ScaleOutDeployment.ApiKeySecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(ScaleOutDeployment.PostgresSecret, text, StringComparison.Ordinal);
        }

        Assert.Contains("\nPOSTGRES_PASSWORD=\n", deployment.EnvExampleText, StringComparison.Ordinal);
    }

    [Fact]
    public void Published_values_become_the_defaults_that_env_can_override()
    {
        var environment = deployment.Service("inference").Map("environment");
        Assert.Equal("/models/${MODEL_FILE:-Qwen2.5-7B-Instruct-Q4_K_M.gguf}", environment.Scalar("Inference__ModelPath"));
        Assert.Equal("${GPU_LAYERS:-40}", environment.Scalar("Inference__GpuLayerCount"));
        Assert.Equal("${CONTEXT_SIZE:-32768}", environment.Scalar("Inference__ContextSize"));
        Assert.Equal("${PARALLEL_SEQUENCES:-8}", environment.Scalar("Inference__MaxParallelSequences"));
        Assert.Contains("\nGPU_LAYERS=40\n", deployment.EnvExampleText, StringComparison.Ordinal);
        Assert.Contains("\nMODEL_FILE=Qwen2.5-7B-Instruct-Q4_K_M.gguf\n", deployment.EnvExampleText, StringComparison.Ordinal);
        Assert.Contains("inference-replicas=3", deployment.ComposeText, StringComparison.Ordinal);
    }
}

/// <summary>The CPU variant of the inference image (no GPU on the server).</summary>
public sealed class CpuDeployment : PublishedDeployment
{
    protected override IReadOnlyList<string> Parameters => ["--Parameters:inference-backend=cpu"];
}

[Collection(AppHostRunCollection.Name)]
public sealed class CpuDeploymentTests(CpuDeployment deployment) : IClassFixture<CpuDeployment>
{
    [Fact]
    public void Builds_the_cpu_image_reserves_no_gpu_and_offloads_no_layers()
    {
        var inference = deployment.Service("inference");
        Assert.Equal("OpeaChat.Inference/Dockerfile.cpu", inference.Map("build").Scalar("dockerfile"));
        Assert.False(inference.Map("deploy").Has("resources"));
        Assert.Equal("${GPU_LAYERS:-0}", inference.Map("environment").Scalar("Inference__GpuLayerCount"));
        Assert.DoesNotContain("nvidia", deployment.ComposeText, StringComparison.Ordinal);
    }
}

[Collection(AppHostRunCollection.Name)]
public sealed class DeploymentParameterTests
{
    [Theory]
    [InlineData("inference-replicas", "0")]
    [InlineData("gpu-count", "some")]
    [InlineData("scale-out", "maybe")]
    [InlineData("inference-backend", "rocm")]
    [InlineData("model-file", "../etc/passwd")]
    public async Task A_wrong_value_stops_publishing_and_names_the_parameter(string name, string value)
    {
        var output = Directory.CreateTempSubdirectory("opeachat-deploy-bad-").FullName;
        try
        {
            var (exitCode, log) = await AppHostPublisher.RunAsync(["--publisher", "compose", "--output-path", output, $"--Parameters:{name}={value}"]);
            Assert.NotEqual(0, exitCode);
            Assert.Contains($"Parameter '{name}' is '{value}'", log, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(output, "docker-compose.yaml")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
