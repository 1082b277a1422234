using System.Text;

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
public sealed class ChatMessage
{
    private readonly StringBuilder _text = new();
    private string? _cachedText;

    private ChatMessage(ChatRole role, string text, ReplyState state)
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

    public static ChatMessage FromUser(string text) => new(ChatRole.User, text, ReplyState.Complete);

    public static ChatMessage StartReply() => new(ChatRole.Assistant, string.Empty, ReplyState.Streaming);

    public void Append(string piece)
    {
        _text.Append(piece);
        _cachedText = null;
        Version++;
    }

    public void End(ReplyState state)
    {
        State = state;
        Version++;
    }
}
