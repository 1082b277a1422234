namespace OpeaChat.ChatQnA.Conversations;

// The REST contract of /v1/conversations (snake_case through ConversationsJsonContext). ConversationRecord,
// MessageRecord, BranchMessage, ConversationSettings and ConversationPage are sent as they are.

/// <summary>The active branch: <c>{"data":[…]}</c>, root first.</summary>
public sealed record MessageList(IReadOnlyList<BranchMessage> Data);

/// <summary>Body of <c>PATCH /v1/conversations/{id}/messages/{message_id}</c>.</summary>
public sealed record EditMessageRequest(string? Content);

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

public sealed record ImportedConversation
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
    public Guid? ActiveLeafId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }

    public ConversationSettings ToSettings() => new()
    {
        Title = Title,
        SystemPrompt = SystemPrompt,
        Model = Model,
        PromptId = PromptId,
        Variables = Variables,
        Temperature = Temperature,
        TopP = TopP,
        MaxTokens = MaxTokens,
        Seed = Seed,
    };
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
}
