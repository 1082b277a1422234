using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.Inference.Models;

/// <summary>Healthy once the default model is ready; otherwise says whether it is loading (with progress), missing or broken.</summary>
public sealed class ModelHealthCheck(ModelManager models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = models.DefaultState;
        var result = state.Status switch
        {
            // Once ready, the default model may be unloaded to make room for another: it reloads on demand.
            // The load figures let a gateway in front of several replicas pick the least busy one.
            ModelStatus.Ready or ModelStatus.NotLoaded => HealthCheckResult.Healthy($"Serving; default model {state.ModelId}.", new Dictionary<string, object>
            {
                ["active_sequences"] = models.Loaded().Sum(model => model.Engine.Status.ActiveSequences),
                ["queued_requests"] = models.Loaded().Sum(model => model.Engine.Status.QueuedRequests),
            }),
            ModelStatus.Loading => HealthCheckResult.Unhealthy(state.Message, data: new Dictionary<string, object>
            {
                ["status"] = "loading",
                ["model"] = state.ModelId!,
                ["progress"] = state.Progress,
            }),
            ModelStatus.NoModel => HealthCheckResult.Unhealthy(state.Message,
                data: new Dictionary<string, object> { ["status"] = "no_model" }),
            _ => HealthCheckResult.Unhealthy(state.Message,
                data: new Dictionary<string, object> { ["status"] = "error", ["model"] = state.ModelId! }),
        };
        return Task.FromResult(result);
    }
}
