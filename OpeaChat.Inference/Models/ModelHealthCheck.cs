using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.Inference.Models;

/// <summary>
/// Readiness (<c>/health</c>): whether a chat can be answered now. Healthy while the default model is loaded;
/// degraded (still 200) when it is not but another chat model is, since a chat naming that one is answered at once;
/// unhealthy (503) when no chat model is loaded or the default one is loading, missing or broken, because the next
/// chat then gets 503 too. Liveness (<c>/alive</c>) does not include this check: a process without a model is alive
/// and must not be restarted for it.
/// </summary>
public sealed class ModelHealthCheck(ModelManager models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = models.DefaultState;
        var loaded = models.Loaded().ToArray();
        // The load figures let a gateway in front of several replicas pick the least busy one.
        var load = new Dictionary<string, object>
        {
            ["active_sequences"] = loaded.Sum(model => model.Engine.Status.ActiveSequences),
            ["queued_requests"] = loaded.Sum(model => model.Engine.Status.QueuedRequests),
        };
        var result = state.Status switch
        {
            ModelStatus.Ready => HealthCheckResult.Healthy($"Serving; default model {state.ModelId}.", load),
            ModelStatus.NotLoaded when loaded.Length > 0 => HealthCheckResult.Degraded(
                $"The default model {state.ModelId} is not loaded (serving {string.Join(", ", loaded.Select(model => model.Id))}): "
                + "a chat that names no model loads it first and gets 503 until it is ready.",
                data: new Dictionary<string, object>(load) { ["status"] = "default_not_loaded", ["model"] = state.ModelId! }),
            ModelStatus.NotLoaded => HealthCheckResult.Unhealthy(
                $"No chat model is loaded (the default model {state.ModelId} was unloaded): the next chat loads it and gets 503 "
                + $"until it is ready, or load it with POST /v1/models/{state.ModelId}/load.",
                data: new Dictionary<string, object> { ["status"] = "not_loaded", ["model"] = state.ModelId! }),
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
