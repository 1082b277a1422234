using System.Text.Json.Serialization;

namespace OpeaChat.Web.ChatQnA;

// The gateway's conversations API (docs/api-conversations.md) and its chat-with-memory door (POST /v1/chat/completions).

/// <summary>A stored conversation, as <c>GET /v1/conversations</c> lists it.</summary>
public sealed record Conversation(
    Guid Id,
    string? Title,
    string? SystemPrompt,
    string? Model,
    string? PromptId,
    IReadOnlyDictionary<string, string>? Variables,
    double? Temperature,
    double? TopP,
    int? MaxTokens,
    long? Seed,
    Guid? ActiveLeafId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public string DisplayTitle => string.IsNullOrWhiteSpace(Title) ? "New chat" : Title;
}

/// <summary>
/// Body of <c>PATCH /v1/conversations/{id}</c> from the settings panel: every field is sent, null clears it (the
/// gateway keeps only the fields a PATCH leaves out). Also the body of <c>POST /v1/conversations</c>.
/// </summary>
public sealed record ConversationSettingsUpdate(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? SystemPrompt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? PromptId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyDictionary<string, string>? Variables,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Temperature,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? TopP,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? MaxTokens,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Seed,
    string? Model = null);

/// <summary>A stored prompt as <c>GET /v1/prompts</c> lists it: a system prompt or a template with <c>{placeholders}</c>.</summary>
public sealed record PromptInfo(string Id, string Name, string Kind, string Text, bool BuiltIn, IReadOnlyList<string> Variables);

public sealed record PromptPage(IReadOnlyList<PromptInfo> Data);

public sealed record ConversationPage(IReadOnlyList<Conversation> Data, int Total);

/// <summary>A stored message of the active branch, with its place among its siblings (the ids oldest first).</summary>
public sealed record StoredMessage(
    Guid Id,
    Guid? ParentId,
    string Role,
    string Content,
    string? Status,
    string? Model,
    int? PromptTokens,
    int? CompletionTokens,
    double? TokensPerSecond,
    DateTimeOffset CreatedAt,
    int SiblingCount,
    int SiblingIndex,
    IReadOnlyList<Guid>? SiblingIds = null);

public sealed record MessagePage(IReadOnlyList<StoredMessage> Data);

public sealed record MessageEdit(string Content);

public sealed record WireMessage(string Role, string Content);

public sealed record StreamOptions(bool IncludeUsage);

/// <summary>Body of <c>POST /v1/chat/completions</c> with memory: only the new user message is sent.</summary>
public sealed record MemoryChatRequest(
    Guid ConversationId,
    IReadOnlyList<WireMessage> Messages,
    bool Stream,
    StreamOptions StreamOptions,
    string? Model = null);

public sealed record RegenerateRequest(bool Stream);

/// <summary>An inference model as <c>GET /v1/models</c> describes it.</summary>
public sealed record ModelInfo(
    string Id,
    string? Architecture,
    long? Parameters,
    string? Quantization,
    long? FileSize,
    int? ContextLength,
    string? Status,
    bool? Loaded,
    double? LoadProgress);

public sealed record ModelPage(IReadOnlyList<ModelInfo> Data);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationPage))]
[JsonSerializable(typeof(Conversation))]
[JsonSerializable(typeof(MessagePage))]
[JsonSerializable(typeof(StoredMessage))]
[JsonSerializable(typeof(MemoryChatRequest))]
[JsonSerializable(typeof(RegenerateRequest))]
[JsonSerializable(typeof(MessageEdit))]
[JsonSerializable(typeof(ModelPage))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(ConversationSettingsUpdate))]
[JsonSerializable(typeof(PromptPage))]
internal sealed partial class ConversationsJsonContext : JsonSerializerContext;
