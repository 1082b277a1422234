using Microsoft.AspNetCore.Components;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

public sealed partial class ChatMessageList
{
    [Parameter, EditorRequired]
    public IReadOnlyList<ChatMessage> Messages { get; set; } = [];
}
