using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpeaChat.Inference.Models.Pulls;

namespace OpeaChat.Inference.Models;

/// <summary>
/// Readiness (<c>/health</c>): whether a chat can be answered now. Healthy while the default model is loaded;
/// degraded (still 200) when it is not but another chat model is, since a chat naming that one is answered at once;
/// unhealthy (503) when no chat model is loaded or the default one is loading, missing or broken, because the next
/// chat then gets 503 too. Liveness (<c>/alive</c>) does not include this check: a process without a model is alive
/// and must not be restarted for it. While a pull runs on a server without a model (the start-up pull), degraded
/// with its progress ("pulling X: 45%"), so the dashboard shows it and the services that wait for this one start.
/// </summary>
public sealed class ModelHealthCheck(ModelManager models, ModelPullManager pulls) : IHealthCheck
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
        var pulling = pulls.Running().Select(pull => pull.Current).ToArray();
        var pullSummary = string.Join("; ", pulling.Select(pull =>
            $"pulling {pull.Id}: {(pull.BytesTotal is > 0 and var total ? pull.BytesDone * 100 / total : 0)}%"));
        var result = state.Status switch
        {
            ModelStatus.NoModel when pulling.Length > 0 => HealthCheckResult.Degraded(
                $"No model yet; {pullSummary} (it becomes the default model when ready).",
                data: new Dictionary<string, object>
                {
                    ["status"] = "pulling",
                    ["model"] = pulling[0].Id,
                    ["progress"] = pulling[0].BytesTotal is > 0 and var size ? (double)pulling[0].BytesDone / size : 0d,
                }),
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
        if (pulling.Length > 0 && state.Status != ModelStatus.NoModel)
        {
            // Shown in the JSON of a healthy answer too (which writes data, not the description).
            var data = new Dictionary<string, object>(result.Data) { ["pulling"] = pullSummary };
            result = new HealthCheckResult(result.Status, $"{result.Description} {char.ToUpperInvariant(pullSummary[0])}{pullSummary[1..]}.", result.Exception, data);
        }

        return Task.FromResult(result);
    }
}
