namespace OpeaChat.ChatQnA.Data;

/// <summary>A chat kept in the database: its settings and a tree of messages (edits and regenerations make branches).</summary>
public sealed class Conversation
{
    public Guid Id { get; set; }

    /// <summary>The account (or <c>service</c>) it belongs to; null: made in local mode, the first admin's on upgrade.</summary>
    public string? OwnerId { get; set; }

    /// <summary>Null until set by the user or generated from the first user message.</summary>
    public string? Title { get; set; }

    public string? SystemPrompt { get; set; }

    public string? Model { get; set; }

    /// <summary>The prompt (usually a template) the chat uses; not a foreign key, so deleting prompts stays simple.</summary>
    public string? PromptId { get; set; }

    /// <summary>Values for the template's <c>{variable}</c> placeholders, stored as a JSON object.</summary>
    public Dictionary<string, string> Variables { get; set; } = [];

    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    public int? MaxTokens { get; set; }

    public long? Seed { get; set; }

    /// <summary>Answer from the ingested documents; null: the door's default (on for /v1/chatqna, off for the OpenAI door).</summary>
    public bool? UseDocuments { get; set; }

    /// <summary>The document collection searched; null: the default collection.</summary>
    public string? IndexName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The last message of the active branch (root → leaf); null while the conversation is empty.</summary>
    public Guid? ActiveLeafId { get; set; }

    public List<Message> Messages { get; set; } = [];
}
