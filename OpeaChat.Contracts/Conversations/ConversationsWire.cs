using System.Text.Json.Serialization;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Contracts.Conversations;

// The REST contract of /v1/conversations (snake_case through ConversationsJsonContext): what the gateway stores and
// sends, and what the web reads and sends.

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

    /// <summary>Answer from the ingested documents (null: the gateway's default for the door used).</summary>
    public bool? UseDocuments { get; init; }

    /// <summary>The document collection searched (null: the default collection).</summary>
    public string? IndexName { get; init; }

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

    /// <summary>The chunks a reply was built from (assistant messages answered from documents).</summary>
    public IReadOnlyList<RetrievedSource>? Sources { get; init; }

    /// <summary>An assistant message's tool calls, in OpenAI's shape; its content may then be empty.</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }

    /// <summary>A <c>tool</c> message's answer to this call of the assistant message before it.</summary>
    public string? ToolCallId { get; init; }
}

/// <summary>
/// A message of the active branch with its place among its siblings (the messages with the same parent, oldest
/// first), so a UI can show "2 / 3" and switch branches.
/// </summary>
public sealed record BranchMessage : MessageRecord
{
    public BranchMessage()
    {
    }

    /// <summary>The message, with its sibling fields still to set.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public BranchMessage(MessageRecord message)
        : base(message)
    {
    }

    public int SiblingCount { get; init; }

    /// <summary>Zero-based index of this message in <see cref="SiblingIds"/>.</summary>
    public int SiblingIndex { get; init; }
    public IReadOnlyList<Guid> SiblingIds { get; init; } = [];
}

/// <summary>The settings of a new conversation (also the body of <c>POST /v1/conversations</c>); all optional.</summary>
public record ConversationSettings
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
    public bool? UseDocuments { get; init; }
    public string? IndexName { get; init; }
}

/// <summary>One page of conversations, newest first, and how many match in all.</summary>
public sealed record ConversationPage(IReadOnlyList<ConversationRecord> Data, int Total, int Limit, int Offset);


/// <summary>The active branch: <c>{"data":[…]}</c>, root first.</summary>
public sealed record MessageList(IReadOnlyList<BranchMessage> Data);

/// <summary>Body of <c>PATCH /v1/conversations/{id}/messages/{message_id}</c>.</summary>
public sealed record EditMessageRequest(string? Content);

/// <summary>
/// Body of <c>PATCH /v1/conversations/{id}</c> as the web's settings panel sends it: every field is written, null
/// clears it (the gateway changes only the fields a PATCH names).
/// </summary>
public sealed record ConversationUpdate
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? SystemPrompt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? PromptId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyDictionary<string, string>? Variables { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public float? Temperature { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public float? TopP { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? MaxTokens { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? Seed { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public bool? UseDocuments { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? IndexName { get; init; }

    /// <summary>Left out when null: the model picker changes it on its own.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Model { get; init; }
}

/// <summary>What <c>GET /v1/conversations/{id}/export?format=json</c> writes: the whole tree, every branch.</summary>
public sealed record ConversationExport
{
    public const string FormatName = "opeachat.conversation";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    public DateTimeOffset ExportedAt { get; init; }
    public required ConversationRecord Conversation { get; init; }

    /// <summary>Oldest first; <c>parent_id</c> links them into the tree.</summary>
    public required IReadOnlyList<MessageRecord> Messages { get; init; }
}

/// <summary>
/// Body of <c>POST /v1/conversations/import</c>: the export's shape, read leniently (ids are replaced, missing
/// statuses are "complete", missing times are now).
/// </summary>
public sealed record ConversationImport
{
    public string? Format { get; init; }
    public int? Version { get; init; }
    public ImportedConversation? Conversation { get; init; }
    public IReadOnlyList<ImportedMessage?>? Messages { get; init; }
}

/// <summary>An exported conversation's settings, with what only an import reads: the active branch and the start time.</summary>
public sealed record ImportedConversation : ConversationSettings
{
    public Guid? ActiveLeafId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}

public sealed record ImportedMessage
{
    public Guid? Id { get; init; }
    public Guid? ParentId { get; init; }
    public string? Role { get; init; }
    public string? Content { get; init; }
    public string? Status { get; init; }
    public string? Model { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
    public double? TokensPerSecond { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public IReadOnlyList<RetrievedSource>? Sources { get; init; }
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
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
[JsonSerializable(typeof(ConversationUpdate))]
[JsonSerializable(typeof(MessageRecord))]
[JsonSerializable(typeof(IReadOnlyList<ToolCall>))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class ConversationsJsonContext : JsonSerializerContext;
