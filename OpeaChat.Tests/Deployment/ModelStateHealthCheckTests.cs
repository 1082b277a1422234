using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpeaChat.AppHost;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Deployment;

/// <summary>
/// The dashboard's entry for inference's model: healthy or not as <c>/health</c>'s status code says, described by its
/// message (a pull's progress, a missing file), against a loopback server answering as inference does.
/// </summary>
[Collection(AppHostRunCollection.Name)]
public sealed class ModelStateHealthCheckTests
{
    [Theory]
    [InlineData(200, """{"status":"pulling","message":"No model yet; pulling Llama-3.2-3B-Instruct-Q4_K_M: 45% (it becomes the default model when ready).","model":"Llama-3.2-3B-Instruct-Q4_K_M","progress":0.45}""", HealthStatus.Healthy, "pulling: No model yet; pulling Llama-3.2-3B-Instruct-Q4_K_M: 45%")]
    [InlineData(200, """{"status":"ok","message":"Serving; default model stories260K."}""", HealthStatus.Healthy, "Serving; default model stories260K.")]
    [InlineData(503, """{"status":"no_model","message":"No model found. Put a GGUF model file into models/."}""", HealthStatus.Unhealthy, "no_model: No model found.")]
    [InlineData(503, "not json", HealthStatus.Unhealthy, "/health answered 503.")]
    public async Task The_check_reports_the_status_code_with_the_message(int status, string body, HealthStatus expected, string description)
    {
        await using var server = await StartAsync(status, body);
        using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var check = new ModelStateHealthCheck(() => new Uri(server.Address, "/health"), services.GetRequiredService<IHttpClientFactory>());

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
        Assert.StartsWith(description, result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_does_not_answer_is_unhealthy()
    {
        using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var check = new ModelStateHealthCheck(() => new Uri("http://127.0.0.1:9/health"), services.GetRequiredService<IHttpClientFactory>());

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("Inference does not answer yet.", result.Description);
    }

    [Fact]
    public async Task The_development_app_model_gives_inference_the_check()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(["DOTNET_LAUNCH_PROFILE=http"], timeout.Token);

        var inference = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "inference");

        Assert.Contains(inference.Annotations.OfType<HealthCheckAnnotation>(), annotation => annotation.Key == ModelStateHealthCheckExtensions.Name);
    }

    private static async Task<LoopbackServer> StartAsync(int status, string body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/health", () => Results.Text(body, "application/json", statusCode: status));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackServer(app, new Uri(address));
    }

    private sealed record LoopbackServer(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
