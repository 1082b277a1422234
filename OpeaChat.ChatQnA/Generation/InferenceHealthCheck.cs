using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// The gateway can answer a chat when inference is reachable and its model is loaded: inference's own readiness is
/// passed on with its status word and message (unhealthy stays unhealthy, degraded stays degraded), and an
/// inference that does not answer in 2 s is unreachable.
/// </summary>
public sealed class InferenceHealthCheck(IHttpClientFactory httpClientFactory) : IHealthCheck
{
    public const string HttpClientName = "inference-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.GetAsync(new Uri("health", UriKind.Relative), cancellationToken);
            var (status, message, data) = await ReadAsync(response, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return status is null or "ok" or "healthy"
                    ? HealthCheckResult.Healthy("Inference is ready.")
                    : HealthCheckResult.Degraded(message ?? $"Inference says {status}.", data: data);
            }

            return HealthCheckResult.Unhealthy(message ?? $"Inference answered {(int)response.StatusCode}.", data: data);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(
                $"The inference service is unreachable ({exception.Message}).",
                data: new Dictionary<string, object> { ["status"] = "unreachable" });
        }
    }

    /// <summary>Inference's status word, message and other fields; nulls when its body is not the expected JSON.</summary>
    private static async Task<(string? Status, string? Message, Dictionary<string, object> Data)> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object>();
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null, data);
            }

            string? message = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "message")
                {
                    message = property.Value.GetString();
                    continue;
                }

                data[property.Name] = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetDouble() : property.Value.ToString();
            }

            return (data.TryGetValue("status", out var status) ? status as string : null, message, data);
        }
        catch (JsonException)
        {
            // Not a health body (a proxy's page, say): the status code alone has to do.
            return (null, null, data);
        }
    }
}
