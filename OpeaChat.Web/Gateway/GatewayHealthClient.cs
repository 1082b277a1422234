using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.Health;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// Asks the gateway whether it is ready (<c>GET /health</c>) for the page's status. Chat itself goes through
/// <see cref="ConversationsClient"/>.
/// </summary>
public sealed class GatewayHealthClient(HttpClient http, IOptions<GatewayOptions> options)
{
    private const string HealthPath = "health";
    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";

    /// <summary>Asks the gateway whether it can answer now. Never throws except for cancellation by the caller.</summary>
    public async Task<GatewayHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.HealthTimeout);
        try
        {
            using var response = await http.GetAsync(HealthPath, timeout.Token).ConfigureAwait(false);
            HealthResponse? body = null;
            try
            {
                body = await response.Content.ReadFromJsonAsync(HealthJsonContext.Default.HealthResponse, timeout.Token).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // A body that is not the expected JSON: judge by the status code alone.
            }

            return GatewayHealth.FromResponse(response.IsSuccessStatusCode, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new GatewayHealth(GatewayState.Unreachable, "The chat service did not answer its health check in time.") { GatewayDown = true };
        }
        catch (HttpRequestException exception)
        {
            return new GatewayHealth(GatewayState.Unreachable, exception.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable
                ? $"{UnreachableMessage} ({exception.Message})"
                : UnreachableMessage) { GatewayDown = true };
        }
    }
}
