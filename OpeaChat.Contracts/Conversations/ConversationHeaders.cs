namespace OpeaChat.Contracts.Conversations;

/// <summary>The gateway's response headers that tie a chat exchange to its stored conversation.</summary>
public static class ConversationHeaders
{
    public const string ConversationId = "OpeaChat-Conversation-Id";

    public const string UserMessageId = "OpeaChat-User-Message-Id";

    /// <summary>The stored reply of a streamed exchange: follow it at <c>…/messages/{id}/stream</c>, end it at <c>…/stop</c>.</summary>
    public const string ReplyId = "OpeaChat-Reply-Id";
}
