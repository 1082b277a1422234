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
            Assert.Single(resource.Annotations.OfType<HealthCheckAnnotation>());
            Assert.Empty(resource.Annotations.OfType<ReplicaAnnotation>());
            Assert.Empty(resource.Annotations.OfType<DockerfileBuildAnnotation>());
#pragma warning disable ASPIREPROBES001 // Probes are how the deployment describes health checks; development has none.
            Assert.Empty(resource.Annotations.OfType<ProbeAnnotation>());
#pragma warning restore ASPIREPROBES001
        }

        var chatqnaWaits = projects.Single(resource => resource.Name == "chatqna").Annotations.OfType<WaitAnnotation>().ToList();
        Assert.Equal("inference", Assert.Single(chatqnaWaits).Resource.Name);
    }
}
