using OpeaChat.Contracts.Health;

namespace OpeaChat.Web.Gateway;

/// <summary>Whether the gateway can answer chat requests now, as its <c>GET /health</c> says.</summary>
public enum GatewayState
{
    Ready,
    Loading,
    NoModel,

    /// <summary>No model yet, and one is being pulled from Hugging Face (the start-up pull, or one from the page).</summary>
    Pulling,

    /// <summary>The gateway runs but cannot reach inference, or the gateway itself cannot be reached.</summary>
    Unreachable,

    /// <summary>Not ready for a reason this page has no special word for.</summary>
    NotReady,
}

/// <summary>The gateway's readiness with its own message (and the model's load progress, 0 to 1, while loading).</summary>
public sealed record GatewayHealth(GatewayState State, string? Message, double? Progress = null)
{
    public static GatewayHealth Ready { get; } = new(GatewayState.Ready, null);

    public bool IsReady => State == GatewayState.Ready;

    /// <summary>The gateway itself did not answer (as opposed to answering that inference is unreachable).</summary>
    public bool GatewayDown { get; init; }

    internal static GatewayHealth FromResponse(bool success, HealthResponse? body)
    {
        var status = body?.Status?.Trim().ToLowerInvariant();
        if (success && status is null or "ok" or "healthy")
        {
            return Ready;
        }

        var state = status switch
        {
            "loading" => GatewayState.Loading,
            "no_model" => GatewayState.NoModel,
            "pulling" => GatewayState.Pulling,
            "unreachable" => GatewayState.Unreachable,
            _ => GatewayState.NotReady,
        };
        var message = string.IsNullOrWhiteSpace(body?.Message) ? DefaultMessage(state) : body.Message;
        var progress = body?.Progress is { } value && double.IsFinite(value) ? Math.Clamp(value, 0, 1) : (double?)null;
        return new GatewayHealth(state, message, progress);
    }

    internal static string DefaultMessage(GatewayState state) => state switch
    {
        GatewayState.Loading => "The model is loading.",
        GatewayState.NoModel => "No model is installed.",
        GatewayState.Pulling => "A model is being pulled.",
        GatewayState.Unreachable => "The chat service cannot be reached.",
        _ => "The chat service is not ready.",
    };
}
