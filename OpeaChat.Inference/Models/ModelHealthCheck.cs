using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.Inference.Models;

/// <summary>Healthy once the model is ready; otherwise says whether it is loading (with progress), missing or broken.</summary>
public sealed class ModelHealthCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = host.State;
        var result = state.Status switch
        {
            ModelStatus.Ready => HealthCheckResult.Healthy($"Model {state.ModelId} is ready.",
                new Dictionary<string, object> { ["model"] = state.ModelId! }),
            ModelStatus.Loading => HealthCheckResult.Unhealthy(state.Message, data: new Dictionary<string, object>
            {
                ["status"] = "loading",
                ["progress"] = state.Progress,
            }),
            ModelStatus.NoModel => HealthCheckResult.Unhealthy(state.Message,
                data: new Dictionary<string, object> { ["status"] = "no_model" }),
            _ => HealthCheckResult.Unhealthy(state.Message,
                data: new Dictionary<string, object> { ["status"] = "error" }),
        };
        return Task.FromResult(result);
    }
}
