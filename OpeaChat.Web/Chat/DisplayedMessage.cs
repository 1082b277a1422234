using System.Text;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Web.Chat;

public enum ChatRole
{
    User,
    Assistant,
}

/// <summary>How an assistant reply ended.</summary>
public enum ReplyState
{
    /// <summary>Finished normally (user messages are always complete).</summary>
    Complete,

    /// <summary>Text is still arriving.</summary>
    Streaming,

    /// <summary>The user stopped it.</summary>
    Stopped,

    /// <summary>The service cut it off; an error says why.</summary>
    CutOff,
}

/// <summary>One message of the visible conversation. Assistant replies grow while they stream.</summary>
public sealed class DisplayedMessage
{
    private readonly StringBuilder _text = new();
    private string? _cachedText;

    private DisplayedMessage(ChatRole role, string text, ReplyState state)
    {
        Role = role;
        State = state;
        _text.Append(text);
    }

    public ChatRole Role { get; }

    public ReplyState State { get; private set; }

    public string Text => _cachedText ??= _text.ToString();

    /// <summary>Changes on every edit, so a view can skip re-rendering messages that did not change.</summary>
    public int Version { get; private set; }

    public bool IsEmpty => _text.Length == 0;

    /// <summary>The role word of the OPEA wire ("user" or "assistant").</summary>
    public string WireRole => Role == ChatRole.User ? "user" : "assistant";

    /// <summary>The gateway's id once the message is stored (null while a new one streams).</summary>
    public Guid? Id { get; private set; }

    public string? Model { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; } = DateTimeOffset.UtcNow;

    public int? CompletionTokens { get; private set; }

    public double? TokensPerSecond { get; private set; }

    /// <summary>How many versions (siblings) this message has, and which one is shown (0-based).</summary>
    public int SiblingCount { get; private set; } = 1;

    public int SiblingIndex { get; private set; }

    /// <summary>The ids of all versions, oldest first (empty when unknown), to switch to another one.</summary>
    public IReadOnlyList<Guid> SiblingIds { get; private set; } = [];

    /// <summary>The chunks a reply was built from, in the order its citations [1], [2] … number them.</summary>
    public IReadOnlyList<RetrievedSource> Sources { get; private set; } = [];

    /// <summary>The tool calls an assistant message made (programs on the OpenAI door), shown compactly.</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; private set; } = [];

    /// <summary>A tool's result (shown on the assistant's side, as part of its work): the call it answers.</summary>
    public string? ToolCallId { get; private set; }

    public bool IsToolResult { get; private set; }

    /// <summary>A message as the gateway stored it.</summary>
    public static DisplayedMessage FromStored(Guid id, string role, string content, string? status, string? model, DateTimeOffset createdAt,
        int? completionTokens, double? tokensPerSecond, int siblingCount, int siblingIndex, IReadOnlyList<Guid>? siblingIds = null,
        IReadOnlyList<RetrievedSource>? sources = null, IReadOnlyList<ToolCall>? toolCalls = null, string? toolCallId = null)
    {
        var isUser = string.Equals(role, "user", StringComparison.OrdinalIgnoreCase);
        var state = status?.ToLowerInvariant() switch
        {
            "stopped" => ReplyState.Stopped,
            "failed" => ReplyState.CutOff,
            "streaming" => ReplyState.Streaming,
            _ => ReplyState.Complete,
        };
        return new DisplayedMessage(isUser ? ChatRole.User : ChatRole.Assistant, content, isUser ? ReplyState.Complete : state)
        {
            Id = id,
            Model = model,
            CreatedAt = createdAt,
            CompletionTokens = completionTokens,
            TokensPerSecond = tokensPerSecond,
            SiblingCount = Math.Max(1, siblingCount),
            SiblingIndex = siblingIndex,
            SiblingIds = siblingIds ?? [],
            Sources = sources ?? [],
            ToolCalls = toolCalls ?? [],
            ToolCallId = toolCallId,
            IsToolResult = string.Equals(role, "tool", StringComparison.OrdinalIgnoreCase),
        };
    }

    public static DisplayedMessage FromUser(string text) => new(ChatRole.User, text, ReplyState.Complete);

    public static DisplayedMessage StartReply() => new(ChatRole.Assistant, string.Empty, ReplyState.Streaming);

    public void Append(string piece)
    {
        _text.Append(piece);
        _cachedText = null;
        Version++;
    }

    /// <summary>The sources of a streaming reply, as its first chunk brought them.</summary>
    public void SetSources(IReadOnlyList<RetrievedSource> sources)
    {
        Sources = sources;
        Version++;
    }

    public void End(ReplyState state)
    {
        State = state;
        Version++;
    }
}
