using System.Text.Json.Serialization;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>A conversation as the store hands it out (and as the API sends it, in snake_case).</summary>
public sealed record ConversationRecord
{
    public Guid Id { get; init; }
    public string? Title { get; init; }
    public string? SystemPrompt { get; init; }
    public string? Model { get; init; }
    public string? PromptId { get; init; }
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public long? Seed { get; init; }

    /// <summary>The last message of the active branch; null while the conversation has no messages.</summary>
    public Guid? ActiveLeafId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One message of a conversation's tree.</summary>
public record MessageRecord
{
    public Guid Id { get; init; }
    public Guid ConversationId { get; init; }
    public Guid? ParentId { get; init; }
    public required string Role { get; init; }
    public required string Content { get; init; }
    public required string Status { get; init; }
    public string? Model { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
    public double? TokensPerSecond { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A message of the active branch with its place among its siblings (the messages with the same parent, oldest
/// first), so a UI can show "2 / 3" and switch branches.
/// </summary>
public sealed record BranchMessage : MessageRecord
{
    public int SiblingCount { get; init; }

    /// <summary>Zero-based index of this message in <see cref="SiblingIds"/>.</summary>
    public int SiblingIndex { get; init; }
    public IReadOnlyList<Guid> SiblingIds { get; init; } = [];
}

/// <summary>What a caller needs to write a new reply in place of <see cref="Replaced"/>.</summary>
/// <param name="Replaced">The assistant message being regenerated; it is kept as a sibling of the new reply.</param>
/// <param name="UserMessage">Its parent: the user message to answer again.</param>
/// <param name="Branch">The messages from the root to <paramref name="UserMessage"/>, inclusive: the history to send.</param>
public sealed record RegenerationContext(MessageRecord Replaced, MessageRecord UserMessage, IReadOnlyList<MessageRecord> Branch);

/// <summary>The settings of a new conversation (also the body of <c>POST /v1/conversations</c>); all optional.</summary>
public sealed record ConversationSettings
{
    public string? Title { get; init; }
    public string? SystemPrompt { get; init; }
    public string? Model { get; init; }
    public string? PromptId { get; init; }
    public Dictionary<string, string>? Variables { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public long? Seed { get; init; }
}

/// <summary>A value to set, even when that value is null (which clears the field).</summary>
public readonly record struct Change<T>(T Value);

/// <summary>Changes to a conversation's settings; a null member leaves that setting as it is.</summary>
public sealed record ConversationChanges
{
    public Change<string?>? Title { get; init; }
    public Change<string?>? SystemPrompt { get; init; }
    public Change<string?>? Model { get; init; }
    public Change<string?>? PromptId { get; init; }
    public Change<Dictionary<string, string>?>? Variables { get; init; }
    public Change<float?>? Temperature { get; init; }
    public Change<float?>? TopP { get; init; }
    public Change<int?>? MaxTokens { get; init; }
    public Change<long?>? Seed { get; init; }
}

/// <summary>One page of conversations, newest first, and how many match in all.</summary>
public sealed record ConversationPage(IReadOnlyList<ConversationRecord> Data, int Total, int Limit, int Offset);

/// <summary>A whole conversation: its settings and every message of every branch, oldest first.</summary>
public sealed record ConversationTree(ConversationRecord Conversation, IReadOnlyList<MessageRecord> Messages);

public enum ConversationStoreError
{
    ConversationNotFound,
    MessageNotFound,
    PromptNotFound,

    /// <summary>A built-in prompt cannot be changed or deleted (403).</summary>
    ReadOnly,

    /// <summary>The id is taken (409).</summary>
    Conflict,

    /// <summary>The request does not fit (wrong role, unknown prompt, bad import); <see cref="ConversationStoreException.Field"/> names the field.</summary>
    Invalid,
}

/// <summary>A store operation refused; <see cref="ConversationErrors.ToResult"/> turns it into the API's 403, 404, 409 or 422.</summary>
public sealed class ConversationStoreException(ConversationStoreError error, string message, string? field = null, string type = "value_error")
    : Exception(message)
{
    public ConversationStoreError Error { get; } = error;

    /// <summary>The request field at fault (dotted, e.g. <c>messages.3.parent_id</c>), for a 422.</summary>
    public string? Field { get; } = field;

    /// <summary>pydantic's error type for a 422 (<c>value_error</c>, <c>missing</c>, …).</summary>
    public string Type { get; } = type;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ConversationRecord))]
[JsonSerializable(typeof(BranchMessage))]
[JsonSerializable(typeof(ConversationSettings))]
[JsonSerializable(typeof(ConversationPage))]
[JsonSerializable(typeof(MessageList))]
[JsonSerializable(typeof(EditMessageRequest))]
[JsonSerializable(typeof(ConversationExport))]
[JsonSerializable(typeof(ConversationImport))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class ConversationsJsonContext : JsonSerializerContext;
