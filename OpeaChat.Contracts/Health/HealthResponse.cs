using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.Health;

/// <summary>
/// Body of every service's <c>GET /health</c>: 200 <c>{"status":"ok", …}</c> when ready, 503 with the failing check's
/// own status word otherwise (<c>loading</c> with <c>progress</c>, <c>no_model</c>, <c>error</c>, <c>unreachable</c>,
/// <c>database_unavailable</c>) and a <c>message</c> a person can act on.
/// </summary>
public sealed record HealthResponse
{
    public string? Status { get; init; }
    public string? Message { get; init; }

    /// <summary>The model being loaded or that failed.</summary>
    public string? Model { get; init; }

    /// <summary>Load progress, 0 to 1, while <see cref="Status"/> is <c>loading</c>.</summary>
    public double? Progress { get; init; }

    /// <summary>Inference's load while it is ready: what a gateway balancing several replicas compares.</summary>
    public int? ActiveSequences { get; init; }

    public int? QueuedRequests { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(HealthResponse))]
public sealed partial class HealthJsonContext : JsonSerializerContext;
