using Microsoft.AspNetCore.Components;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

/// <summary>One message bubble. Re-renders only when its message changed (a streaming reply changes often).</summary>
public sealed partial class ChatMessageItem
{
    private int _renderedVersion = -1;

    [Parameter, EditorRequired]
    public ChatMessage Message { get; set; } = default!;

    private bool IsWaiting => Message is { Role: ChatRole.Assistant, State: ReplyState.Streaming, IsEmpty: true };

    private string CssClass => Message.Role == ChatRole.User ? "chat-message user" : "chat-message assistant";

    private string RoleLabel => Message.Role == ChatRole.User ? "You" : "Assistant";

    private string StateName => Message.State.ToString().ToLowerInvariant();

    private string? Note => Message.State switch
    {
        ReplyState.Stopped => "Stopped",
        ReplyState.CutOff => "Reply cut off",
        ReplyState.Complete when Message is { Role: ChatRole.Assistant, IsEmpty: true } => "The model gave an empty reply.",
        _ => null,
    };

    protected override void OnInitialized() => _renderedVersion = Message.Version;

    protected override bool ShouldRender()
    {
        if (Message.Version == _renderedVersion)
        {
            return false;
        }

        _renderedVersion = Message.Version;
        return true;
    }
}
