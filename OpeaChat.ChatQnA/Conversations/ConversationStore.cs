using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;
using static OpeaChat.ChatQnA.Conversations.RecordMapping;
using static OpeaChat.ChatQnA.Conversations.StoredValues;
using static OpeaChat.ChatQnA.Conversations.StoreLookups;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// Conversations: creating, reading, listing and searching, changing settings, deleting, importing. Their messages
/// are <see cref="MessageTreeStore"/>'s. Each call uses its own short-lived context, so the store is a singleton;
/// every write is one <c>SaveChanges</c> (or one statement), that is one transaction.
/// Unknown ids and invalid requests throw <see cref="ConversationStoreException"/>.
/// </summary>
public sealed partial class ConversationStore(IDbContextFactory<ConversationsDbContext> contexts, TimeProvider time, ILogger<ConversationStore> logger)
{
    public async Task<ConversationRecord> CreateAsync(ConversationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await EnsurePromptExistsAsync(db, settings.PromptId, cancellationToken);
        var now = Now(time);
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
            UseDocuments = settings.UseDocuments,
            IndexName = NullIfBlank(settings.IndexName),
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

        if (changes.UseDocuments is { Value: var useDocuments })
        {
            conversation.UseDocuments = useDocuments;
        }

        if (changes.IndexName is { Value: var indexName })
        {
            conversation.IndexName = NullIfBlank(indexName);
        }

        conversation.UpdatedAt = Now(time);
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(conversation);
    }

    /// <summary>Deletes the conversation and all its messages; false when there was none.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Messages go with it through the conversation foreign key's ON DELETE CASCADE, in the same statement (one level,
        // whatever the length of the chat: the links between messages do not cascade).
        var deleted = await db.Conversations.Where(c => c.Id == id).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            LogDeleted(logger, id);
        }

        return deleted > 0;
    }

    /// <summary>
    /// Creates a new conversation (new ids throughout) from an export, keeping its message tree, timestamps and
    /// active branch. Validation failures name the field in the export.
    /// </summary>
    public async Task<ConversationRecord> ImportAsync(ConversationImport import, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        var now = Now(time);
        var (conversation, messages) = ConversationImporter.Build(import, now);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Conversations.Add(conversation);
        db.Messages.AddRange(messages);
        await db.SaveChangesAsync(cancellationToken);
        LogImported(logger, conversation.Id, messages.Count);
        return ToRecord(conversation);
    }

    private static async Task EnsurePromptExistsAsync(ConversationsDbContext db, string? promptId, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(promptId) && !await db.Prompts.AnyAsync(p => p.Id == promptId, cancellationToken))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, $"There is no prompt '{promptId}' (see GET /v1/prompts).", "prompt_id");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created conversation {ConversationId}")]
    private static partial void LogCreated(ILogger logger, Guid conversationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted conversation {ConversationId}")]
    private static partial void LogDeleted(ILogger logger, Guid conversationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported conversation {ConversationId} with {MessageCount} messages")]
    private static partial void LogImported(ILogger logger, Guid conversationId, int messageCount);
}
