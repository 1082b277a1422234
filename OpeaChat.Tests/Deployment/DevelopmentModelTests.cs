using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Deployment;

/// <summary>
/// The deployment's additions exist only when publishing: a development run's app model (not started here) has the
/// three projects with their fixed ports, health checks and waits, and no containers and no parameter but the
/// generated inference key, whatever deployment parameters are configured.
/// </summary>
[Collection(AppHostRunCollection.Name)]
public sealed class DevelopmentModelTests
{
    [Fact]
    public async Task A_development_run_has_only_the_three_projects_and_no_deployment_parameters()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(
            ["DOTNET_LAUNCH_PROFILE=http", "Parameters:inference-replicas=3", "Parameters:scale-out=true"],
            timeout.Token);

        Assert.False(builder.ExecutionContext.IsPublishMode);
        // (Aspire also adds hidden helper resources, such as each project's "-rebuilder", in development.)
        var projects = builder.Resources.OfType<ProjectResource>().ToList();
        Assert.Equal(["chatqna", "inference", "web"], projects.Select(resource => resource.Name).Order());
        // Its one parameter is the inference key it generates for each run (docs/security.md), not a deployment's.
        var key = Assert.Single(builder.Resources.OfType<ParameterResource>());
        Assert.Equal("inference-api-key", key.Name);
        Assert.True(key.Secret);
        Assert.True((await key.GetValueAsync(timeout.Token))?.Length >= 32);
        Assert.Empty(builder.Resources.OfType<ContainerResource>());

        var ports = projects.ToDictionary(
            resource => resource.Name,
            resource => resource.Annotations.OfType<EndpointAnnotation>().Single(endpoint => endpoint.Name == "http").Port);
        Assert.Equal(9009, ports["inference"]);
        Assert.Equal(8888, ports["chatqna"]);
        Assert.Equal(5173, ports["web"]);

        foreach (var resource in projects)
        {
            // Its /health; inference also shows its model's state (a pull's progress) on the dashboard.
            var checks = resource.Annotations.OfType<HealthCheckAnnotation>().Select(check => check.Key).ToList();
            Assert.Equal(resource.Name == "inference" ? 2 : 1, checks.Count);
            Assert.Empty(resource.Annotations.OfType<ReplicaAnnotation>());
            Assert.Empty(resource.Annotations.OfType<DockerfileBuildAnnotation>());
#pragma warning disable ASPIREPROBES001 // Probes are how the deployment describes health checks; development has none.
            Assert.Empty(resource.Annotations.OfType<ProbeAnnotation>());
#pragma warning restore ASPIREPROBES001
        }

        var chatqnaWaits = projects.Single(resource => resource.Name == "chatqna").Annotations.OfType<WaitAnnotation>().ToList();
        Assert.Equal("inference", Assert.Single(chatqnaWaits).Resource.Name);
    }

    [Fact]
    public async Task OPEACHAT_PULL_reaches_inference_as_Inference__Pull_and_without_a_model_the_rest_waits_only_for_its_start()
    {
        const string pull = "bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M";
        var empty = Directory.CreateTempSubdirectory("opeachat-pull-models-").FullName;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(
                ["DOTNET_LAUNCH_PROFILE=http", $"OPEACHAT_PULL={pull}", "OPEACHAT_MODEL=", $"OpeaChat:ModelsDirectory={empty}"],
                timeout.Token);

            var projects = builder.Resources.OfType<ProjectResource>().ToDictionary(resource => resource.Name);
            var environment = await EnvironmentOfAsync(projects["inference"], builder.ExecutionContext, timeout.Token);
            Assert.Equal(pull, Assert.IsType<string>(environment["Inference__Pull"]));
            foreach (var other in new[] { "chatqna", "web" })
            {
                Assert.False((await EnvironmentOfAsync(projects[other], builder.ExecutionContext, timeout.Token)).ContainsKey("Inference__Pull"));
            }

            // Nothing to load until the pull is done: the gateway and the page start anyway, to show it.
            var wait = Assert.Single(projects["chatqna"].Annotations.OfType<WaitAnnotation>());
            Assert.Equal("inference", wait.Resource.Name);
            Assert.Equal(WaitType.WaitUntilStarted, wait.WaitType);
            Assert.Equal(WaitType.WaitUntilStarted, Assert.Single(projects["web"].Annotations.OfType<WaitAnnotation>()).WaitType);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task Without_OPEACHAT_PULL_inference_is_not_told_to_pull()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(
            ["DOTNET_LAUNCH_PROFILE=http", "OPEACHAT_PULL="], timeout.Token);

        var inference = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "inference");
        Assert.False((await EnvironmentOfAsync(inference, builder.ExecutionContext, timeout.Token)).ContainsKey("Inference__Pull"));
    }

    [Fact]
    public async Task OPEACHAT_ACCOUNTS_turns_accounts_on_and_gives_the_gateway_and_the_web_one_generated_forwarder_key()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(
            ["DOTNET_LAUNCH_PROFILE=http", "OPEACHAT_ACCOUNTS=true"], timeout.Token);

        var projects = builder.Resources.OfType<ProjectResource>().ToDictionary(resource => resource.Name);
        var gateway = await EnvironmentOfAsync(projects["chatqna"], builder.ExecutionContext, timeout.Token);
        var web = await EnvironmentOfAsync(projects["web"], builder.ExecutionContext, timeout.Token);
        Assert.Equal("true", gateway["ChatQnA__Accounts__Enabled"]);
        var key = Assert.IsType<ParameterResource>(gateway["ChatQnA__ForwarderApiKeys__0"]);
        Assert.Same(key, web["ChatQnA__ApiKey"]);
        Assert.Equal("forwarder-api-key", key.Name);
        Assert.True(key.Secret);
        Assert.True((await key.GetValueAsync(timeout.Token))?.Length >= 32);
        Assert.False((await EnvironmentOfAsync(projects["inference"], builder.ExecutionContext, timeout.Token)).ContainsKey("ChatQnA__ForwarderApiKeys__0"));
    }

    [Fact]
    public async Task Without_OPEACHAT_ACCOUNTS_the_development_run_is_local_mode()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(
            ["DOTNET_LAUNCH_PROFILE=http", "OPEACHAT_ACCOUNTS="], timeout.Token);

        var gateway = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "chatqna");
        var environment = await EnvironmentOfAsync(gateway, builder.ExecutionContext, timeout.Token);
        Assert.False(environment.ContainsKey("ChatQnA__Accounts__Enabled"));
        Assert.False(environment.ContainsKey("ChatQnA__ForwarderApiKeys__0"));
    }

    /// <summary>
    /// A project's environment as the app model sets it (the callbacks run as Aspire runs them). Values stay unresolved:
    /// the endpoints' ones (ASPNETCORE_URLS, service discovery) wait for ports that only a started app allocates.
    /// </summary>
    private static async Task<Dictionary<string, object>> EnvironmentOfAsync(IResource resource, DistributedApplicationExecutionContext context, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var callbackContext = new EnvironmentCallbackContext(context, resource, values, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(callbackContext);
        }

        return values;
    }
}
