using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>What a caller needs to write a new reply in place of <see cref="Replaced"/>.</summary>
/// <param name="Replaced">The assistant message being regenerated; it is kept as a sibling of the new reply.</param>
/// <param name="UserMessage">Its parent: the user message to answer again.</param>
/// <param name="Branch">The messages from the root to <paramref name="UserMessage"/>, inclusive: the history to send.</param>
public sealed record RegenerationContext(MessageRecord Replaced, MessageRecord UserMessage, IReadOnlyList<MessageRecord> Branch);

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
    public Change<bool?>? UseDocuments { get; init; }
    public Change<string?>? IndexName { get; init; }
}

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

    /// <summary>The database has no room to write (507).</summary>
    StorageFull,

    /// <summary>The database is read-only (503).</summary>
    StorageReadOnly,
}

/// <summary>A store operation refused; <see cref="ConversationErrors.ToResult"/> turns it into the API's 403, 404, 409 or 422.</summary>
public sealed class ConversationStoreException(ConversationStoreError error, string message, string? field = null, string type = "value_error", string? code = null)
    : Exception(message)
{
    /// <summary>The OpenAI door's error code, where a more precise one than the error's default fits (<c>unknown_tool_call_id</c>).</summary>
    public string? Code { get; } = code;

    public ConversationStoreError Error { get; } = error;

    /// <summary>The request field at fault (dotted, e.g. <c>messages.3.parent_id</c>), for a 422.</summary>
    public string? Field { get; } = field;

    /// <summary>pydantic's error type for a 422 (<c>value_error</c>, <c>missing</c>, …).</summary>
    public string Type { get; } = type;
}

