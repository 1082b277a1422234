using System.Text.RegularExpressions;
using OpeaChat.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace OpeaChat.Tests.Deployment;

/// <summary>The default deployment: one GPU box, one inference replica, SQLite in a volume.</summary>
public sealed class DefaultDeployment : PublishedDeployment
{
    /// <summary>An API key given to the publisher; it must not appear in anything it writes.</summary>
    public const string ApiKeySecret = "sk-test-3f9c1e7a-never-in-a-file";

    /// <summary>The key between the gateway and inference; it must not appear either.</summary>
    public const string InferenceApiKeySecret = "sk-test-inference-5b2d-never-in-a-file";

    /// <summary>The web's forwarder key; it must not appear either.</summary>
    public const string ForwarderApiKeySecret = "sk-test-forwarder-9e41-never-in-a-file";

    protected override IReadOnlyList<string> Parameters =>
        [$"--Parameters:api-key={ApiKeySecret}", $"--Parameters:inference-api-key={InferenceApiKeySecret}", $"--Parameters:forwarder-api-key={ForwarderApiKeySecret}"];
}

[Collection(AppHostRunCollection.Name)]
public sealed partial class ComposeDeploymentTests(DefaultDeployment deployment) : IClassFixture<DefaultDeployment>
{
    [Fact]
    public void Writes_inference_chatqna_and_web_and_no_postgres_without_scale_out()
    {
        Assert.Equal(["inference", "chatqna", "web"], deployment.Services.Keys());
        Assert.Equal("opeachat", deployment.Compose.Scalar("name"));
    }

    [Fact]
    public void Inference_reserves_every_nvidia_gpu()
    {
        var device = Assert.IsType<YamlMappingNode>(Assert.Single(
            deployment.Service("inference").Map("deploy").Map("resources").Map("reservations").Sequence("devices").Children));
        Assert.Equal("nvidia", device.Scalar("driver"));
        Assert.Equal("all", device.Scalar("count"));
        Assert.Equal(["gpu"], device.Sequence("capabilities").Scalars());
        Assert.Equal("1", deployment.Service("inference").Map("deploy").Scalar("replicas"));
    }

    [Fact]
    public void Inference_mounts_the_models_writable_and_takes_its_model_settings_from_variables()
    {
        var inference = deployment.Service("inference");
        var mount = Assert.IsType<YamlMappingNode>(Assert.Single(inference.Sequence("volumes").Children));
        Assert.Equal("bind", mount.Scalar("type"));
        Assert.Equal("${MODELS_DIR:-./models}", mount.Scalar("source"));
        Assert.Equal("/models", mount.Scalar("target"));
        // Pulled models are saved in the host folder, so they outlive the container.
        Assert.False(mount.Has("read_only"), "pulls write into /models");

        var environment = inference.Map("environment");
        Assert.Equal("/models", environment.Scalar("Inference__ModelsDirectory"));
        Assert.Matches(@"^/models/\$\{MODEL_FILE:-[^}]+\.gguf\}$", environment.Scalar("Inference__ModelPath"));
        Assert.Equal("${GPU_LAYERS:--1}", environment.Scalar("Inference__GpuLayerCount"));
        Assert.Equal("${CONTEXT_SIZE:-8192}", environment.Scalar("Inference__ContextSize"));
        Assert.Equal("${PARALLEL_SEQUENCES:-4}", environment.Scalar("Inference__MaxParallelSequences"));
        Assert.Equal("8080", environment.Scalar("HTTP_PORTS"));
        Assert.False(inference.Has("ports"), "inference is reached through the gateway, not from outside.");
    }

    [Fact]
    public void Inference_pulls_at_start_from_a_variable_and_gets_the_hub_settings_with_the_token_as_an_optional_secret()
    {
        var environment = deployment.Service("inference").Map("environment");
        Assert.Equal("${OPEACHAT_PULL:-}", environment.Scalar("Inference__Pull"));
        Assert.Equal("${HF_ENDPOINT:-https://huggingface.co}", environment.Scalar("HF_ENDPOINT"));
        Assert.Equal("${HF_TOKEN:-}", environment.Scalar("HF_TOKEN"));
        foreach (var name in new[] { "chatqna", "web" })
        {
            var other = deployment.Service(name).Map("environment");
            Assert.False(other.Has("HF_TOKEN") || other.Has("Inference__Pull"), $"{name} gets no hub settings");
        }

        // Listed blank, marked secret, never required (compose starts without it).
        Assert.Matches(new Regex("^# Optional, secret\\.\nHF_TOKEN=$", RegexOptions.Multiline), deployment.EnvExampleText);
        Assert.Matches(new Regex("^OPEACHAT_PULL=$", RegexOptions.Multiline), deployment.EnvExampleText);
        Assert.DoesNotContain("HF_TOKEN:?", deployment.ComposeText, StringComparison.Ordinal);
    }

    [Fact]
    public void Inference_health_check_probes_health_and_gives_a_large_model_ten_minutes_to_load()
    {
        var health = deployment.Service("inference").Map("healthcheck");
        var test = health.Sequence("test").Scalars();
        Assert.Equal("CMD", test[0]);
        Assert.Equal("curl", test[1]);
        Assert.Contains("--fail", test);
        Assert.Equal("http://localhost:8080/health", test[^1]);
        Assert.Equal("600s", health.Scalar("start_period"));
        Assert.Equal("10s", health.Scalar("interval"));
        Assert.Equal("3", health.Scalar("retries"));
    }

    [Fact]
    public void Chatqna_publishes_8888_waits_for_healthy_inference_and_keeps_its_sqlite_database_in_a_volume()
    {
        var chatqna = deployment.Service("chatqna");
        Assert.Equal(["${CHATQNA_PORT:-8888}:8080"], chatqna.Sequence("ports").Scalars());
        Assert.Equal("service_healthy", chatqna.Map("depends_on").Map("inference").Scalar("condition"));
        Assert.Equal(["inference"], chatqna.Map("depends_on").Keys());

        var mount = Assert.IsType<YamlMappingNode>(Assert.Single(chatqna.Sequence("volumes").Children));
        Assert.Equal("volume", mount.Scalar("type"));
        Assert.Equal("opeachat-data", mount.Scalar("source"));
        Assert.Equal("/data", mount.Scalar("target"));
        Assert.True(deployment.Compose.Map("volumes").Has("opeachat-data"));

        // SQLite (opeachat.db) in ChatQnA:DataDirectory; a "conversations" connection string would switch to PostgreSQL.
        var environment = chatqna.Map("environment");
        Assert.Equal("/data", environment.Scalar("ChatQnA__DataDirectory"));
        Assert.False(environment.Has("ConnectionStrings__conversations"));
        Assert.Equal("http://localhost:8080/health", chatqna.Map("healthcheck").Sequence("test").Scalars()[^1]);
    }

    [Fact]
    public void Web_publishes_5173_and_waits_for_a_healthy_gateway()
    {
        var web = deployment.Service("web");
        Assert.Equal(["${WEB_PORT:-5173}:8080"], web.Sequence("ports").Scalars());
        Assert.Equal(["chatqna"], web.Map("depends_on").Keys());
        Assert.Equal("service_healthy", web.Map("depends_on").Map("chatqna").Scalar("condition"));
        Assert.Equal("http://localhost:8080/health", web.Map("healthcheck").Sequence("test").Scalars()[^1]);
    }

    [Fact]
    public void Services_find_each_other_through_aspire_service_discovery_variables()
    {
        Assert.Equal("http://inference:8080", deployment.Service("chatqna").Map("environment").Scalar("services__inference__http__0"));
        Assert.Equal("http://chatqna:8080", deployment.Service("web").Map("environment").Scalar("services__chatqna__http__0"));
        // Only the Hugging Face hub, outside, is reached over https; inside the compose network nothing is.
        Assert.DoesNotContain("https", deployment.ComposeText.Replace("${HF_ENDPOINT:-https://huggingface.co}", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_service_restarts_and_rotates_its_logs()
    {
        foreach (var name in deployment.Services.Keys())
        {
            var service = deployment.Service(name);
            Assert.Equal("unless-stopped", service.Scalar("restart"));
            var logging = service.Map("logging");
            Assert.Equal("json-file", logging.Scalar("driver"));
            Assert.Equal("${LOG_MAX_SIZE:-10m}", logging.Map("options").Scalar("max-size"));
            Assert.Equal("${LOG_MAX_FILE:-5}", logging.Map("options").Scalar("max-file"));
        }
    }

    [Fact]
    public void The_api_key_is_a_required_variable_and_its_value_is_never_written()
    {
        Assert.StartsWith("${API_KEY:?", deployment.Service("chatqna").Map("environment").Scalar("ChatQnA__ApiKeys__0"), StringComparison.Ordinal);
        // The clients' key acts as a service: the web never holds it (it speaks for people with the forwarder key).
        Assert.StartsWith("${FORWARDER_API_KEY:?", deployment.Service("web").Map("environment").Scalar("ChatQnA__ApiKey"), StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(deployment.OutputDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(DefaultDeployment.ApiKeySecret, File.ReadAllText(file), StringComparison.Ordinal);
        }

        Assert.Matches(new Regex("^API_KEY=$", RegexOptions.Multiline), deployment.EnvExampleText);
    }

    [Fact]
    public void Inference_requires_a_key_that_the_gateway_sends_and_its_value_is_never_written()
    {
        Assert.StartsWith("${INFERENCE_API_KEY:?", deployment.Service("inference").Map("environment").Scalar("Inference__ApiKeys__0"), StringComparison.Ordinal);
        Assert.StartsWith("${INFERENCE_API_KEY:?", deployment.Service("chatqna").Map("environment").Scalar("ChatQnA__InferenceApiKey"), StringComparison.Ordinal);
        Assert.False(deployment.Service("web").Map("environment").Has("ChatQnA__InferenceApiKey"));
        foreach (var file in Directory.EnumerateFiles(deployment.OutputDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(DefaultDeployment.InferenceApiKeySecret, File.ReadAllText(file), StringComparison.Ordinal);
        }

        Assert.Matches(new Regex("^INFERENCE_API_KEY=$", RegexOptions.Multiline), deployment.EnvExampleText);
    }

    [Fact]
    public void Accounts_are_on_and_the_web_speaks_for_people_with_a_forwarder_key_that_is_never_written()
    {
        var gateway = deployment.Service("chatqna").Map("environment");
        Assert.Equal("true", gateway.Scalar("ChatQnA__Accounts__Enabled"));
        Assert.Equal("${SIGN_UP:-approval}", gateway.Scalar("ChatQnA__Accounts__SignUp"));
        Assert.StartsWith("${FORWARDER_API_KEY:?", gateway.Scalar("ChatQnA__ForwarderApiKeys__0"), StringComparison.Ordinal);
        Assert.Equal(gateway.Scalar("ChatQnA__ForwarderApiKeys__0"), deployment.Service("web").Map("environment").Scalar("ChatQnA__ApiKey"));
        Assert.False(deployment.Service("inference").Map("environment").Has("ChatQnA__ForwarderApiKeys__0"));
        foreach (var file in Directory.EnumerateFiles(deployment.OutputDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(DefaultDeployment.ForwarderApiKeySecret, File.ReadAllText(file), StringComparison.Ordinal);
        }

        Assert.Matches(new Regex("^FORWARDER_API_KEY=$", RegexOptions.Multiline), deployment.EnvExampleText);
        Assert.Matches(new Regex("^SIGN_UP=approval$", RegexOptions.Multiline), deployment.EnvExampleText);
    }

    [Fact]
    public void Each_service_answers_only_to_this_machine_its_service_name_and_the_public_hosts()
    {
        Assert.Equal("localhost;127.0.0.1;[::1];inference", deployment.Service("inference").Map("environment").Scalar("AllowedHosts"));
        Assert.Equal("localhost;127.0.0.1;[::1];chatqna;${PUBLIC_HOSTS:-localhost}", deployment.Service("chatqna").Map("environment").Scalar("AllowedHosts"));
        Assert.Equal("localhost;127.0.0.1;[::1];web;${PUBLIC_HOSTS:-localhost}", deployment.Service("web").Map("environment").Scalar("AllowedHosts"));
    }

    [Fact]
    public void Env_example_lists_every_variable_the_compose_file_uses_and_no_other()
    {
        var used = VariableReference().Matches(deployment.ComposeText).Select(match => match.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var listed = EnvAssignment().Matches(deployment.EnvExampleText).Select(match => match.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(used);
        Assert.Equal(used.Order(), listed.Order());
        Assert.Contains("MODEL_FILE", listed);
        Assert.Contains("API_KEY", listed);
        Assert.Contains("GPU_LAYERS", listed);
    }

    [Fact]
    public void Images_are_built_from_the_repository_with_each_service_dockerfile()
    {
        var expected = new Dictionary<string, string>
        {
            ["inference"] = "OpeaChat.Inference/Dockerfile",
            ["chatqna"] = "OpeaChat.ChatQnA/Dockerfile",
            ["web"] = "OpeaChat.Web/Dockerfile",
        };
        foreach (var (name, dockerfile) in expected)
        {
            var build = deployment.Service(name).Map("build");
            var context = Path.GetFullPath(build.Scalar("context"), deployment.OutputDirectory);
            Assert.Equal(RepositoryPaths.Root.TrimEnd(Path.DirectorySeparatorChar), context.TrimEnd(Path.DirectorySeparatorChar));
            Assert.Equal(dockerfile, build.Scalar("dockerfile"));
            Assert.True(File.Exists(Path.Combine(context, dockerfile)), dockerfile);
            Assert.Equal($"opeachat/{name}:${{OPEACHAT_IMAGE_TAG:-latest}}", deployment.Service(name).Scalar("image"));
        }
    }

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^([A-Z0-9_]+)=", RegexOptions.Multiline)]
    private static partial Regex EnvAssignment();
}
