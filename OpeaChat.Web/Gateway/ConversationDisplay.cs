using OpeaChat.Contracts.Conversations;

namespace OpeaChat.Web.Gateway;

/// <summary>How the page names a stored conversation.</summary>
public static class ConversationDisplay
{
    extension(ConversationRecord conversation)
    {
        /// <summary>The title, or "New chat" while it has none.</summary>
        public string DisplayTitle => string.IsNullOrWhiteSpace(conversation.Title) ? "New chat" : conversation.Title;
    }
}
