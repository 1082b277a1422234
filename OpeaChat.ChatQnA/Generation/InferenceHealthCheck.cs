using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>The gateway is ready when inference is reachable and its model is loaded; otherwise it passes on why not.</summary>
public sealed class InferenceHealthCheck(IHttpClientFactory httpClientFactory) : IHealthCheck
{
    public const string HttpClientName = "inference-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.GetAsync(new Uri("health", UriKind.Relative), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return HealthCheckResult.Healthy("Inference is ready.");
            }

            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var data = new Dictionary<string, object>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "message")
                {
                    continue;
                }

                data[property.Name] = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetDouble() : property.Value.ToString();
            }

            var message = document.RootElement.TryGetProperty("message", out var text) ? text.GetString() : $"Inference answered {(int)response.StatusCode}.";
            return HealthCheckResult.Unhealthy(message, data: data);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(
                $"The inference service is unreachable ({exception.Message}).",
                data: new Dictionary<string, object> { ["status"] = "unreachable" });
        }
    }
}
