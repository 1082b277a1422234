using System.Text.Json.Serialization;

namespace OpeaChat.Web.ChatQnA;

// The gateway's health answer as this frontend reads it.

/// <summary>Body of the gateway's <c>GET /health</c> (200 <c>{"status":"ok"}</c>, 503 otherwise).</summary>
public sealed record GatewayHealthResponse(string? Status, string? Message, double? Progress);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GatewayHealthResponse))]
internal sealed partial class OpeaJsonContext : JsonSerializerContext;
