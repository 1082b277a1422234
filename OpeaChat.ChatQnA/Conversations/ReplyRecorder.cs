using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Retrieval;
using static OpeaChat.ChatQnA.Conversations.StoredValues;
using static OpeaChat.ChatQnA.Conversations.StoreLookups;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>What a reply is when it is written: its text, how it stands, its figures once it ended, and its tool calls (if any).</summary>
public sealed record ReplyState(string Text, string Status, string? Model = null, int? PromptTokens = null, int? CompletionTokens = null, double? TokensPerSecond = null,
    IReadOnlyList<OpeaChat.Contracts.OpenAi.ToolCall>? ToolCalls = null)
{
    public static ReplyState Streaming { get; } = new(string.Empty, MessageStatuses.Streaming);
}

/// <summary>
/// The writes of one chat turn, made only once inference has accepted the request (so a refused request stores
/// nothing): the new user message (if any) with its reply in one transaction, the reply's text as it streams, and
/// how it ended. A database out of space throws <see cref="ConversationStoreException"/> with
/// <see cref="ConversationStoreError.StorageFull"/>. Each call uses its own context, so a stream can hold it.
/// </summary>
public sealed partial class ReplyRecorder(
    IDbContextFactory<ConversationsDbContext> contexts, ConversationsStorageMonitor storage, TimeProvider time, ILogger<ReplyRecorder> logger)
{
    /// <summary>
    /// Adds the user message <paramref name="userText"/> below <paramref name="parentId"/> (or, with
    /// <paramref name="toolResults"/>, those tool messages one below the other; or answers the stored
    /// <paramref name="userMessageId"/> when both are null) and its reply, which becomes the active leaf. Returns the
    /// answered message's (the user message, or the last tool message) and the reply's ids.
    /// </summary>
    public async Task<(Guid UserMessageId, Guid ReplyId)> BeginAsync(Guid conversationId, Guid? parentId, string? userText, Guid? userMessageId,
        ReplyState reply, IReadOnlyList<RetrievedSource>? sources, IReadOnlyList<ToolResult>? toolResults = null)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return await WriteAsync(async () =>
        {
            // Not the request's token: a turn the client left is still written whole or not at all.
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            var conversation = await FindConversationAsync(db, conversationId, CancellationToken.None);
            var now = Now(time);
            Guid answered;
            if (toolResults is { Count: > 0 })
            {
                // The calls they answer were checked against the active leaf when the turn was prepared.
                if (parentId is not { } parent || conversation.ActiveLeafId != parent)
                {
                    throw new ConversationStoreException(ConversationStoreError.Conflict, "The conversation changed while the reply was being prepared; send it again.");
                }

                answered = parent;
                foreach (var result in toolResults)
                {
                    var tool = new Message
                    {
                        Id = Guid.CreateVersion7(now),
                        ConversationId = conversationId,
                        ParentId = answered,
                        Role = MessageRoles.Tool,
                        Content = result.Content,
                        Status = MessageStatuses.Complete,
                        CreatedAt = now,
                        ToolCallId = result.ToolCallId,
                    };
                    db.Messages.Add(tool);
                    answered = tool.Id;
                    now = now.AddTicks(10);
                }
            }
            else if (userText is not null)
            {
                if (parentId is { } parent && !await db.Messages.AnyAsync(m => m.Id == parent && m.ConversationId == conversationId))
                {
                    // The message it followed was deleted meanwhile.
                    throw new ConversationStoreException(ConversationStoreError.Conflict, "The conversation changed while the reply was being prepared; send it again.");
                }

                if (string.IsNullOrWhiteSpace(conversation.Title))
                {
                    var first = await db.Messages
                        .Where(m => m.ConversationId == conversationId && m.Role == MessageRoles.User)
                        .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
                        .Select(m => m.Content)
                        .FirstOrDefaultAsync();
                    conversation.Title = ConversationTitle.FromMessage(first ?? userText);
                }

                var user = new Message
                {
                    Id = Guid.CreateVersion7(now),
                    ConversationId = conversationId,
                    ParentId = parentId,
                    Role = MessageRoles.User,
                    Content = userText,
                    Status = MessageStatuses.Complete,
                    CreatedAt = now,
                };
                db.Messages.Add(user);
                answered = user.Id;
                // One microsecond later (what both providers keep), so the reply sorts after its question.
                now = now.AddTicks(10);
            }
            else
            {
                answered = userMessageId ?? throw new ArgumentNullException(nameof(userMessageId));
            }

            var message = new Message
            {
                Id = Guid.CreateVersion7(now),
                ConversationId = conversationId,
                ParentId = answered,
                Role = MessageRoles.Assistant,
                Content = reply.Text,
                Status = reply.Status,
                Model = NullIfBlank(reply.Model),
                PromptTokens = reply.PromptTokens,
                CompletionTokens = reply.CompletionTokens,
                TokensPerSecond = reply.TokensPerSecond,
                CreatedAt = now,
                Sources = StoredSources.Write(sources),
                ToolCalls = StoredToolCalls.Write(reply.ToolCalls),
            };
            db.Messages.Add(message);
            conversation.ActiveLeafId = message.Id;
            conversation.UpdatedAt = now;
            await db.SaveChangesAsync(CancellationToken.None);
            return (answered, message.Id);
        });
    }

    /// <summary>The text (and tool calls) so far of a reply still streaming; a reply already ended is left as it is.</summary>
    public Task UpdateTextAsync(Guid replyId, string text, IReadOnlyList<OpeaChat.Contracts.OpenAi.ToolCall>? toolCalls = null)
    {
        var calls = StoredToolCalls.Write(toolCalls);
        return WriteAsync(async () =>
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            return await db.Messages.Where(m => m.Id == replyId && m.Status == MessageStatuses.Streaming)
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, text).SetProperty(m => m.ToolCalls, calls), CancellationToken.None);
        });
    }

    /// <summary>How the reply ended, whatever was written of it before.</summary>
    public Task FinishAsync(Guid conversationId, Guid replyId, ReplyState reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return WriteAsync(async () =>
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            var message = await db.Messages.FirstOrDefaultAsync(m => m.Id == replyId && m.ConversationId == conversationId)
                ?? throw new ConversationStoreException(ConversationStoreError.MessageNotFound, $"The reply {replyId} was deleted while it was written.", "message_id");
            message.Content = reply.Text;
            message.Status = reply.Status;
            message.Model = NullIfBlank(reply.Model) ?? message.Model;
            message.PromptTokens = reply.PromptTokens;
            message.CompletionTokens = reply.CompletionTokens;
            message.TokensPerSecond = reply.TokensPerSecond;
            message.ToolCalls = StoredToolCalls.Write(reply.ToolCalls);
            (await FindConversationAsync(db, conversationId, CancellationToken.None)).UpdatedAt = Now(time);
            return await db.SaveChangesAsync(CancellationToken.None);
        });
    }

    /// <summary>
    /// Replies left <see cref="MessageStatuses.Streaming"/> by a gateway that died mid-reply become
    /// <see cref="MessageStatuses.Failed"/>, keeping the text they had. For a gateway start, before any reply runs.
    /// </summary>
    public async Task<int> FailAbandonedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Messages.Where(m => m.Status == MessageStatuses.Streaming)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MessageStatuses.Failed), cancellationToken);
    }

    private async Task<T> WriteAsync<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (Exception exception) when (storage.Observe(exception))
        {
            LogNotWritable(logger, exception);
            throw StoreErrorFilter.Unwritable(storage.Problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A reply could not be written: the conversation database is out of space or read-only")]
    private static partial void LogNotWritable(ILogger logger, Exception exception);
}
