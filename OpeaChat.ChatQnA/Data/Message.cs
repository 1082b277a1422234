namespace OpeaChat.ChatQnA.Data;

/// <summary>One turn of a conversation; <see cref="ParentId"/> links the turns into a tree.</summary>
public sealed class Message
{
    public Guid Id { get; set; }

    public Guid ConversationId { get; set; }

    /// <summary>The message this one answers or follows; null for a first message. Siblings share a parent.</summary>
    public Guid? ParentId { get; set; }

    /// <summary><c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c> (<see cref="MessageRoles"/>).</summary>
    public required string Role { get; set; }

    public required string Content { get; set; }

    /// <summary><c>complete</c>, <c>stopped</c>, <c>failed</c> or <c>streaming</c> (<see cref="MessageStatuses"/>).</summary>
    public required string Status { get; set; }

    public string? Model { get; set; }

    public int? PromptTokens { get; set; }

    public int? CompletionTokens { get; set; }

    public double? TokensPerSecond { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The chunks a reply was built from, as a JSON array (RetrievalJsonContext); null when it used none.</summary>
    public string? Sources { get; set; }

    /// <summary>
    /// An assistant message's tool calls as a JSON array in OpenAI's shape (<c>[{"id","type","function":{"name","arguments"}}]</c>);
    /// null when it made none. The text in <see cref="Content"/> may then be empty.
    /// </summary>
    public string? ToolCalls { get; set; }

    /// <summary>A <c>tool</c> message's answer to this call of the assistant message before it.</summary>
    public string? ToolCallId { get; set; }

    public Conversation? Conversation { get; set; }

    public Message? Parent { get; set; }
}

public static class MessageRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    /// <summary>A tool's result, answering one of the calls of the assistant message before it.</summary>
    public const string Tool = "tool";

    public static IReadOnlyList<string> All { get; } = [System, User, Assistant, Tool];
}

public static class MessageStatuses
{
    /// <summary>The reply ended normally (or the message is not a reply).</summary>
    public const string Complete = "complete";

    /// <summary>The user stopped the reply; the content is what had arrived.</summary>
    public const string Stopped = "stopped";

    /// <summary>The reply failed; the content is what had arrived (maybe nothing).</summary>
    public const string Failed = "failed";

    /// <summary>The reply is still being written (a placeholder a caller completes later).</summary>
    public const string Streaming = "streaming";

    public static IReadOnlyList<string> All { get; } = [Complete, Stopped, Failed, Streaming];
}
