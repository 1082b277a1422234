using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.AppHost;

/// <summary>
/// Shows on the dashboard what inference's <c>/health</c> says about its model, such as "pulling X: 45%" or the
/// file it is missing: Aspire's HTTP health check looks at the status code only, so its entry says no more than
/// healthy or not. This check is healthy on the same answers and carries the answer's message as its description.
/// Development only: a deployment's orchestrator has its own health checks.
/// </summary>
public static class ModelStateHealthCheckExtensions
{
    public const string Name = "inference-model-state";

    public static IResourceBuilder<ProjectResource> WithModelStateOnDashboard(this IResourceBuilder<ProjectResource> inference)
    {
        if (inference.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return inference;
        }

        var endpoint = inference.GetEndpoint("http");
        inference.ApplicationBuilder.Services.AddHttpClient(Name);
        inference.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            Name,
            services => new ModelStateHealthCheck(() => new Uri(new Uri(endpoint.Url), "/health"), services.GetRequiredService<IHttpClientFactory>()),
            failureStatus: HealthStatus.Unhealthy,
            tags: null));
        return inference.WithHealthCheck(Name);
    }
}

public sealed class ModelStateHealthCheck(Func<Uri> healthAddress, IHttpClientFactory clients) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var client = clients.CreateClient(ModelStateHealthCheckExtensions.Name);
        client.Timeout = Timeout;
        try
        {
            using var response = await client.GetAsync(healthAddress(), cancellationToken).ConfigureAwait(false);
            var message = await MessageAsync(response, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy(message ?? "Serving.")
                : HealthCheckResult.Unhealthy(message ?? $"/health answered {(int)response.StatusCode}.");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Inference does not answer yet.", exception);
        }
    }

    /// <summary>The answer's <c>message</c>, and its <c>status</c> when that says more than ok.</summary>
    private static async Task<string?> MessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = body.RootElement;
            var message = root.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
            var status = root.TryGetProperty("status", out var word) && word.ValueKind == JsonValueKind.String ? word.GetString() : null;
            return status is null or "ok" ? message : $"{status}: {message}";
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
