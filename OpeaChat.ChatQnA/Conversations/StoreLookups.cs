using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Data;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>Finding a conversation to change, and the error for one that is not there.</summary>
internal static class StoreLookups
{
    /// <summary>The conversation, tracked for changes; <see cref="ConversationNotFound"/> is thrown when there is none.</summary>
    public static async Task<Conversation> FindConversationAsync(ConversationsDbContext db, Guid id, CancellationToken cancellationToken) =>
        await db.Conversations.FirstOrDefaultAsync(c => c.Id == id, cancellationToken) ?? throw ConversationNotFound(id);

    public static ConversationStoreException ConversationNotFound(Guid conversationId) =>
        new(ConversationStoreError.ConversationNotFound, $"Conversation {conversationId} not found.");
}
