using System.Text.Json.Serialization;

namespace OpeaChat.Web.Chat;

// The OPEA ChatQnA megaservice contract as this frontend uses it: POST /v1/chatqna and GET /health.

/// <summary>One message of the conversation sent to the gateway; <see cref="Role"/> is "user" or "assistant".</summary>
public sealed record OpeaChatMessage(string Role, string Content);

/// <summary>Body of <c>POST /v1/chatqna</c>.</summary>
public sealed record ChatQnARequest(IReadOnlyList<OpeaChatMessage> Messages, bool Stream, int MaxTokens);

/// <summary>Body of the gateway's <c>GET /health</c> (200 <c>{"status":"ok"}</c>, 503 otherwise).</summary>
public sealed record GatewayHealthResponse(string? Status, string? Message, double? Progress);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatQnARequest))]
[JsonSerializable(typeof(GatewayHealthResponse))]
internal sealed partial class OpeaJsonContext : JsonSerializerContext;
