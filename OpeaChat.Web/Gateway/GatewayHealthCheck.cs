using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// The web's readiness follows the gateway's: unhealthy (503) when the gateway cannot be reached, since then no
/// page can chat; degraded (200, with the gateway's status word and message) when the gateway runs but is not
/// ready (model loading, no model, inference down), since the page still serves and says what to do.
/// </summary>
public sealed class GatewayHealthCheck(GatewayHealthClient gateway) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = await gateway.GetHealthAsync(cancellationToken);
        if (health.IsReady)
        {
            return HealthCheckResult.Healthy("The chat service is ready.");
        }

        var data = new Dictionary<string, object> { ["status"] = StatusWord(health.State) };
        if (health.Progress is { } progress)
        {
            data["progress"] = progress;
        }

        var message = health.Message ?? GatewayHealth.DefaultMessage(health.State);
        return health.GatewayDown
            ? HealthCheckResult.Unhealthy(message, data: new Dictionary<string, object> { ["status"] = "gateway_unreachable" })
            : HealthCheckResult.Degraded(message, data: data);
    }

    private static string StatusWord(GatewayState state) => state switch
    {
        GatewayState.Loading => "loading",
        GatewayState.NoModel => "no_model",
        GatewayState.Pulling => "pulling",
        GatewayState.Unreachable => "unreachable",
        _ => "not_ready",
    };
}
