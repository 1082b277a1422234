using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;
using static OpeaChat.ChatQnA.Conversations.RecordMapping;
using static OpeaChat.ChatQnA.Conversations.StoredValues;
using static OpeaChat.ChatQnA.Conversations.StoreLookups;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// The message trees of conversations: adding user and assistant messages, editing, the active branch and its
/// siblings, switching branches, what regenerating a reply needs, the whole tree for export. Each call uses its own
/// short-lived context, so the store is a singleton that long-running streams can hold; every write is one
/// <c>SaveChanges</c> (or one statement), that is one transaction.
/// Unknown ids and invalid requests throw <see cref="ConversationStoreException"/>.
/// </summary>
public sealed class MessageTreeStore(IDbContextFactory<ConversationsDbContext> contexts, TimeProvider time)
{
    /// <summary>The active branch, root first and the active leaf last; empty for a conversation without messages.</summary>
    public async Task<IReadOnlyList<MessageRecord>> GetActiveBranchAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        var tree = await LoadTreeAsync(conversationId, cancellationToken);
        return tree.PathTo(tree.Conversation.ActiveLeafId).ConvertAll(m => ToRecord(m));
    }

    /// <summary>The active branch as <see cref="GetActiveBranchAsync"/> gives it, each message with its siblings.</summary>
    public async Task<IReadOnlyList<BranchMessage>> GetActiveBranchWithSiblingsAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        var tree = await LoadTreeAsync(conversationId, cancellationToken);
        return tree.PathTo(tree.Conversation.ActiveLeafId).ConvertAll(tree.WithSiblings);
    }

    /// <summary>Every message of every branch, oldest first, with the conversation: what an export holds.</summary>
    public async Task<ConversationTree> GetTreeAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        var tree = await LoadTreeAsync(conversationId, cancellationToken);
        return new ConversationTree(ToRecord(tree.Conversation), tree.Messages.ConvertAll(m => ToRecord(m)));
    }

    /// <summary>
    /// Adds a user message and makes it the active leaf. Without <paramref name="parentId"/> it follows the active
    /// leaf; with one it starts a new branch below that message (other branches are kept). A conversation without a
    /// title takes one from its first user message.
    /// </summary>
    public async Task<MessageRecord> AddUserMessageAsync(Guid conversationId, string content, Guid? parentId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await FindConversationAsync(db, conversationId, cancellationToken);
        if (parentId is { } parent)
        {
            await FindMessageAsync(db, conversationId, parent, "parent_id", cancellationToken);
        }

        return await AddUserMessageCoreAsync(db, conversation, content, parentId ?? conversation.ActiveLeafId, cancellationToken);
    }

    /// <summary>
    /// Edits a user message the way chat apps do: a new user message with the same parent (a new branch; the old one
    /// is kept) becomes the active leaf. The caller then generates its reply.
    /// </summary>
    public async Task<MessageRecord> EditUserMessageAsync(Guid conversationId, Guid messageId, string content, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await FindConversationAsync(db, conversationId, cancellationToken);
        var original = await FindMessageAsync(db, conversationId, messageId, "message_id", cancellationToken);
        if (original.Role != MessageRoles.User)
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid,
                $"Only user messages can be edited; message {messageId} is an {original.Role} message (regenerate it instead).", "message_id");
        }

        return await AddUserMessageCoreAsync(db, conversation, content, original.ParentId, cancellationToken);
    }

    /// <summary>
    /// Adds an assistant message below <paramref name="parentId"/> (a sibling of any earlier reply there) and makes it
    /// the active leaf, in one transaction. <paramref name="status"/> is one of <see cref="MessageStatuses"/>.
    /// </summary>
    public async Task<MessageRecord> AddAssistantMessageAsync(Guid conversationId, Guid parentId, string content, string status, string? model,
        int? promptTokens, int? completionTokens, double? tokensPerSecond, CancellationToken cancellationToken,
        IReadOnlyList<OpeaChat.Contracts.Retrieval.RetrievedSource>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        EnsureStatus(status);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await FindConversationAsync(db, conversationId, cancellationToken);
        await FindMessageAsync(db, conversationId, parentId, "parent_id", cancellationToken);
        var now = Now(time);
        var message = new Message
        {
            Id = Guid.CreateVersion7(now),
            ConversationId = conversationId,
            ParentId = parentId,
            Role = MessageRoles.Assistant,
            Content = content,
            Status = status,
            Model = NullIfBlank(model),
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            TokensPerSecond = tokensPerSecond,
            CreatedAt = now,
            Sources = StoredSources.Write(sources),
        };
        db.Messages.Add(message);
        conversation.ActiveLeafId = message.Id;
        conversation.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(message);
    }

    /// <summary>
    /// Rewrites an assistant message, for callers that add a <see cref="MessageStatuses.Streaming"/> placeholder first
    /// and complete it when the reply ends. The active leaf does not change.
    /// </summary>
    public async Task<MessageRecord> UpdateAssistantMessageAsync(Guid conversationId, Guid messageId, string content, string status, string? model,
        int? promptTokens, int? completionTokens, double? tokensPerSecond, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        EnsureStatus(status);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await FindConversationAsync(db, conversationId, cancellationToken);
        var message = await FindMessageAsync(db, conversationId, messageId, "message_id", cancellationToken);
        if (message.Role != MessageRoles.Assistant)
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, $"Message {messageId} is not an assistant message.", "message_id");
        }

        message.Content = content;
        message.Status = status;
        message.Model = NullIfBlank(model) ?? message.Model;
        message.PromptTokens = promptTokens;
        message.CompletionTokens = completionTokens;
        message.TokensPerSecond = tokensPerSecond;
        conversation.UpdatedAt = Now(time);
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(message);
    }

    /// <summary>
    /// For regenerating an assistant message: its parent user message and the branch from the root to that message.
    /// Nothing changes until the caller adds the new reply with <see cref="AddAssistantMessageAsync"/> below
    /// <see cref="RegenerationContext.UserMessage"/>; that reply becomes the active leaf and the old one stays a sibling.
    /// </summary>
    public async Task<RegenerationContext> GetRegenerationContextAsync(Guid conversationId, Guid assistantMessageId, CancellationToken cancellationToken)
    {
        var tree = await LoadTreeAsync(conversationId, cancellationToken);
        var replaced = tree.Find(assistantMessageId)
            ?? throw new ConversationStoreException(ConversationStoreError.MessageNotFound,
                $"Message {assistantMessageId} not found in conversation {conversationId}.", "message_id");
        if (replaced.Role != MessageRoles.Assistant)
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid,
                $"Only assistant messages can be regenerated; message {assistantMessageId} is a {replaced.Role} message (edit it instead).", "message_id");
        }

        // A reply to a tool's result is answered again from the same history, tool messages included.
        if (replaced.ParentId is not { } parentId || tree.Find(parentId) is not { Role: MessageRoles.User or MessageRoles.Tool } userMessage)
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid,
                $"Message {assistantMessageId} does not answer a user or tool message, so there is nothing to answer again.", "message_id");
        }

        return new RegenerationContext(ToRecord(replaced), ToRecord(userMessage), tree.PathTo(userMessage.Id).ConvertAll(m => ToRecord(m)));
    }

    /// <summary>
    /// Switches the active branch to the one through <paramref name="messageId"/>: the active leaf becomes that
    /// message's newest descendant (or stays, if it is already below it). Returns the new active branch.
    /// </summary>
    public async Task<IReadOnlyList<BranchMessage>> ActivateAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken)
    {
        var tree = await LoadTreeAsync(conversationId, cancellationToken);
        if (tree.Find(messageId) is null)
        {
            throw new ConversationStoreException(ConversationStoreError.MessageNotFound, $"Message {messageId} not found in conversation {conversationId}.", "message_id");
        }

        var current = tree.PathTo(tree.Conversation.ActiveLeafId);
        var leaf = current.Any(m => m.Id == messageId) ? tree.Conversation.ActiveLeafId!.Value : tree.NewestLeafBelow(messageId);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Conversations.Where(c => c.Id == conversationId)
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.ActiveLeafId, leaf).SetProperty(c => c.UpdatedAt, Now(time)), cancellationToken);
        }

        return tree.PathTo(leaf).ConvertAll(tree.WithSiblings);
    }

    private async Task<MessageRecord> AddUserMessageCoreAsync(ConversationsDbContext db, Conversation conversation, string content, Guid? parentId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, "content must not be empty.", "content");
        }

        var now = Now(time);
        var message = new Message
        {
            Id = Guid.CreateVersion7(now),
            ConversationId = conversation.Id,
            ParentId = parentId,
            Role = MessageRoles.User,
            Content = content,
            Status = MessageStatuses.Complete,
            CreatedAt = now,
        };

        if (string.IsNullOrWhiteSpace(conversation.Title))
        {
            var first = await db.Messages
                .Where(m => m.ConversationId == conversation.Id && m.Role == MessageRoles.User)
                .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
                .Select(m => m.Content)
                .FirstOrDefaultAsync(cancellationToken);
            conversation.Title = ConversationTitle.FromMessage(first ?? content);
        }

        db.Messages.Add(message);
        conversation.ActiveLeafId = message.Id;
        conversation.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(message);
    }

    private async Task<MessageTree> LoadTreeAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken)
            ?? throw ConversationNotFound(conversationId);
        var messages = await db.Messages.AsNoTracking()
            .Where(m => m.ConversationId == conversationId)
            .ToListAsync(cancellationToken);
        // Ordered here: SQLite cannot order by every type the model uses, and conversations are small.
        messages.Sort(MessageTree.Chronological);
        return new MessageTree(conversation, messages);
    }

    private static async Task<Message> FindMessageAsync(ConversationsDbContext db, Guid conversationId, Guid messageId, string field, CancellationToken cancellationToken) =>
        await db.Messages.FirstOrDefaultAsync(m => m.Id == messageId && m.ConversationId == conversationId, cancellationToken)
        ?? throw new ConversationStoreException(ConversationStoreError.MessageNotFound, $"Message {messageId} not found in conversation {conversationId}.", field);

    private static void EnsureStatus(string status)
    {
        if (!MessageStatuses.All.Contains(status))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, $"status must be one of {string.Join(", ", MessageStatuses.All)}.", "status");
        }
    }
}
