using Microsoft.AspNetCore.Components;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

public sealed partial class ChatMessageList
{
    [Parameter, EditorRequired]
    public IReadOnlyList<ChatMessage> Messages { get; set; } = [];

    [Parameter]
    public bool IsSending { get; set; }

    [Parameter]
    public EventCallback OnRegenerate { get; set; }

    [Parameter]
    public EventCallback<(ChatMessage Message, string Text)> OnEdit { get; set; }

    [Parameter]
    public EventCallback<(ChatMessage Message, int Offset)> OnShowSibling { get; set; }

}
