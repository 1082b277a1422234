using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// Conversations and their message trees. Each call uses its own short-lived context, so the store is a singleton
/// that long-running streams can hold; every write is one <c>SaveChanges</c>, that is one transaction.
/// Unknown ids and invalid requests throw <see cref="ConversationStoreException"/>.
/// </summary>
public sealed partial class ConversationStore(IDbContextFactory<ConversationsDbContext> contexts, TimeProvider time, ILogger<ConversationStore> logger)
{
    public async Task<ConversationRecord> CreateAsync(ConversationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await EnsurePromptExistsAsync(db, settings.PromptId, cancellationToken);
        var now = Now();
        var conversation = new Conversation
        {
            Id = Guid.CreateVersion7(now),
            Title = NullIfBlank(settings.Title),
            SystemPrompt = settings.SystemPrompt,
            Model = NullIfBlank(settings.Model),
            PromptId = NullIfBlank(settings.PromptId),
            Variables = settings.Variables ?? [],
            Temperature = settings.Temperature,
            TopP = settings.TopP,
            MaxTokens = settings.MaxTokens,
            Seed = settings.Seed,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Conversations.Add(conversation);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, conversation.Id);
        return ToRecord(conversation);
    }

    /// <summary>The conversation, or null when there is none with that id.</summary>
    public async Task<ConversationRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        return conversation is null ? null : ToRecord(conversation);
    }

    /// <summary>
    /// Conversations, most recently updated first. <paramref name="search"/> (optional) matches titles and the content
    /// of any message, ignoring case.
    /// </summary>
    public async Task<ConversationPage> ListAsync(string? search, int limit, int offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Conversations.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            // lower() on both sides: SQLite's is replaced by a Unicode-aware one (see ConversationsDatabase).
            var needle = search.Trim().ToLowerInvariant();
            query = query.Where(c => (c.Title != null && c.Title.ToLower().Contains(needle))
                || c.Messages.Any(m => m.Content.ToLower().Contains(needle)));
        }

        var total = await query.CountAsync(cancellationToken);
        var page = await query
            .OrderByDescending(c => c.UpdatedAt).ThenByDescending(c => c.Id)
            .Skip(offset).Take(limit)
            .ToListAsync(cancellationToken);
        return new ConversationPage(page.ConvertAll(ToRecord), total, limit, offset);
    }

    public async Task<ConversationRecord> UpdateAsync(Guid id, ConversationChanges changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await FindConversationAsync(db, id, cancellationToken);
        if (changes.PromptId is { Value: var promptId })
        {
            await EnsurePromptExistsAsync(db, promptId, cancellationToken);
            conversation.PromptId = NullIfBlank(promptId);
        }

        if (changes.Title is { Value: var title })
        {
            conversation.Title = NullIfBlank(title);
        }

        if (changes.SystemPrompt is { Value: var systemPrompt })
        {
            conversation.SystemPrompt = systemPrompt;
        }

        if (changes.Model is { Value: var model })
        {
            conversation.Model = NullIfBlank(model);
        }

        if (changes.Variables is { Value: var variables })
        {
            conversation.Variables = variables ?? [];
        }

        if (changes.Temperature is { Value: var temperature })
        {
            conversation.Temperature = temperature;
        }

        if (changes.TopP is { Value: var topP })
        {
            conversation.TopP = topP;
        }

        if (changes.MaxTokens is { Value: var maxTokens })
        {
            conversation.MaxTokens = maxTokens;
        }

        if (changes.Seed is { Value: var seed })
        {
            conversation.Seed = seed;
        }

        conversation.UpdatedAt = Now();
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(conversation);
    }

    /// <summary>Deletes the conversation and all its messages; false when there was none.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Messages go with it through the foreign key's ON DELETE CASCADE, in the same statement.
        var deleted = await db.Conversations.Where(c => c.Id == id).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            LogDeleted(logger, id);
        }

        return deleted > 0;
    }

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
        int? promptTokens, int? completionTokens, double? tokensPerSecond, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        EnsureStatus(status);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var conversation = await FindConversationAsync(db, conversationId, cancellationToken);
        await FindMessageAsync(db, conversationId, parentId, "parent_id", cancellationToken);
        var now = Now();
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
        conversation.UpdatedAt = Now();
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

        if (replaced.ParentId is not { } parentId || tree.Find(parentId) is not { Role: MessageRoles.User } userMessage)
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid,
                $"Message {assistantMessageId} does not answer a user message, so there is nothing to answer again.", "message_id");
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
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.ActiveLeafId, leaf).SetProperty(c => c.UpdatedAt, Now()), cancellationToken);
        }

        return tree.PathTo(leaf).ConvertAll(tree.WithSiblings);
    }

    /// <summary>
    /// Creates a new conversation (new ids throughout) from an export, keeping its message tree, timestamps and
    /// active branch. Validation failures name the field in the export.
    /// </summary>
    public async Task<ConversationRecord> ImportAsync(ConversationImport import, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        var now = Now();
        var (conversation, messages) = ConversationImporter.Build(import, now);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Conversations.Add(conversation);
        db.Messages.AddRange(messages);
        await db.SaveChangesAsync(cancellationToken);
        LogImported(logger, conversation.Id, messages.Count);
        return ToRecord(conversation);
    }

    private async Task<MessageRecord> AddUserMessageCoreAsync(ConversationsDbContext db, Conversation conversation, string content, Guid? parentId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, "content must not be empty.", "content");
        }

        var now = Now();
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
            ?? throw NotFound(conversationId);
        var messages = await db.Messages.AsNoTracking()
            .Where(m => m.ConversationId == conversationId)
            .ToListAsync(cancellationToken);
        // Ordered here: SQLite cannot order by every type the model uses, and conversations are small.
        messages.Sort(MessageTree.Chronological);
        return new MessageTree(conversation, messages);
    }

    private static async Task<Conversation> FindConversationAsync(ConversationsDbContext db, Guid id, CancellationToken cancellationToken) =>
        await db.Conversations.FirstOrDefaultAsync(c => c.Id == id, cancellationToken) ?? throw NotFound(id);

    private static async Task<Message> FindMessageAsync(ConversationsDbContext db, Guid conversationId, Guid messageId, string field, CancellationToken cancellationToken) =>
        await db.Messages.FirstOrDefaultAsync(m => m.Id == messageId && m.ConversationId == conversationId, cancellationToken)
        ?? throw new ConversationStoreException(ConversationStoreError.MessageNotFound, $"Message {messageId} not found in conversation {conversationId}.", field);

    private static async Task EnsurePromptExistsAsync(ConversationsDbContext db, string? promptId, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(promptId) && !await db.Prompts.AnyAsync(p => p.Id == promptId, cancellationToken))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, $"There is no prompt '{promptId}' (see GET /v1/prompts).", "prompt_id");
        }
    }

    private static void EnsureStatus(string status)
    {
        if (!MessageStatuses.All.Contains(status))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, $"status must be one of {string.Join(", ", MessageStatuses.All)}.", "status");
        }
    }

    private static ConversationStoreException NotFound(Guid conversationId) =>
        new(ConversationStoreError.ConversationNotFound, $"Conversation {conversationId} not found.");

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Microsecond precision: what PostgreSQL keeps, so both providers give back what was written.</summary>
    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }

    internal static ConversationRecord ToRecord(Conversation conversation) => new()
    {
        Id = conversation.Id,
        Title = conversation.Title,
        SystemPrompt = conversation.SystemPrompt,
        Model = conversation.Model,
        PromptId = conversation.PromptId,
        Variables = conversation.Variables,
        Temperature = conversation.Temperature,
        TopP = conversation.TopP,
        MaxTokens = conversation.MaxTokens,
        Seed = conversation.Seed,
        ActiveLeafId = conversation.ActiveLeafId,
        CreatedAt = conversation.CreatedAt,
        UpdatedAt = conversation.UpdatedAt,
    };

    internal static MessageRecord ToRecord(Message message) => new()
    {
        Id = message.Id,
        ConversationId = message.ConversationId,
        ParentId = message.ParentId,
        Role = message.Role,
        Content = message.Content,
        Status = message.Status,
        Model = message.Model,
        PromptTokens = message.PromptTokens,
        CompletionTokens = message.CompletionTokens,
        TokensPerSecond = message.TokensPerSecond,
        CreatedAt = message.CreatedAt,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Created conversation {ConversationId}")]
    private static partial void LogCreated(ILogger logger, Guid conversationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted conversation {ConversationId}")]
    private static partial void LogDeleted(ILogger logger, Guid conversationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported conversation {ConversationId} with {MessageCount} messages")]
    private static partial void LogImported(ILogger logger, Guid conversationId, int messageCount);
}
