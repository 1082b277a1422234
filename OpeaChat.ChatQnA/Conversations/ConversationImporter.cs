using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>Checks an import and builds the new conversation and messages, with new ids and the same tree.</summary>
internal static class ConversationImporter
{
    public static (Conversation Conversation, List<Message> Messages) Build(ConversationImport import, DateTimeOffset now)
    {
        if (import.Format is { } format && format != ConversationExport.FormatName)
        {
            throw Invalid("format", $"format must be '{ConversationExport.FormatName}' (an export of GET /v1/conversations/{{id}}/export).");
        }

        if (import.Version is { } version && version != ConversationExport.CurrentVersion)
        {
            throw Invalid("version", $"Only version {ConversationExport.CurrentVersion} exports can be imported; this one is version {version}.");
        }

        var source = import.Conversation ?? throw Invalid("conversation", "Field required: the export's conversation object.");
        ConversationSettings settings = source;
        if (ConversationValidation.Check(settings) is { } problem)
        {
            throw Invalid($"conversation.{problem.Field}", problem.Message);
        }

        var items = import.Messages ?? [];
        var newIds = new Dictionary<Guid, Guid>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? throw Invalid($"messages.{i}", "Each message must be an object.");
            if (item.Id is not { } id || id == Guid.Empty)
            {
                throw Invalid($"messages.{i}.id", "Field required: each message needs its id, which parent_id refers to.");
            }

            if (!newIds.TryAdd(id, Guid.CreateVersion7(InFileOrder(now, i, items.Count))))
            {
                throw Invalid($"messages.{i}.id", $"The id {id} appears more than once.");
            }
        }

        var conversationId = Guid.CreateVersion7(now);
        var messages = new List<Message>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i]!;
            if (item.Role is null || !MessageRoles.All.Contains(item.Role))
            {
                throw Invalid($"messages.{i}.role", $"role must be one of {string.Join(", ", MessageRoles.All)}.");
            }

            if (item.Content is null)
            {
                throw Invalid($"messages.{i}.content", "Field required.");
            }

            if (item.Status is { } status && !ImportableStatuses.Contains(status))
            {
                // "streaming" means a reply is being written now; an imported one never would be, and nothing would finish it.
                throw Invalid($"messages.{i}.status", $"status must be one of {string.Join(", ", ImportableStatuses)}.");
            }

            if (item.ToolCalls is { Count: > 0 } && item.Role != MessageRoles.Assistant)
            {
                throw Invalid($"messages.{i}.tool_calls", "Only assistant messages have tool calls.");
            }

            for (var c = 0; c < (item.ToolCalls?.Count ?? 0); c++)
            {
                if (item.ToolCalls![c] is not { Id: { Length: > 0 }, Function.Name: { Length: > 0 } })
                {
                    throw Invalid($"messages.{i}.tool_calls.{c}", "Each tool call needs its id and function.name.");
                }
            }

            if (item.Role == MessageRoles.Tool && string.IsNullOrEmpty(item.ToolCallId))
            {
                throw Invalid($"messages.{i}.tool_call_id", "Field required: a tool message names the call it answers.");
            }

            if (item.ToolCallId is { Length: > ConversationLimits.ToolCallIdMaxLength })
            {
                throw Invalid($"messages.{i}.tool_call_id", $"tool_call_id must be at most {ConversationLimits.ToolCallIdMaxLength} characters.");
            }

            Guid? parentId = null;
            if (item.ParentId is { } parent)
            {
                if (parent == item.Id || !newIds.TryGetValue(parent, out var newParent))
                {
                    throw Invalid($"messages.{i}.parent_id", $"parent_id {parent} is not the id of another message in this export.");
                }

                parentId = newParent;
            }

            messages.Add(new Message
            {
                Id = newIds[item.Id!.Value],
                ConversationId = conversationId,
                ParentId = parentId,
                Role = item.Role,
                Content = item.Content,
                Status = item.Status ?? MessageStatuses.Complete,
                Model = string.IsNullOrWhiteSpace(item.Model) ? null : item.Model,
                PromptTokens = item.PromptTokens,
                CompletionTokens = item.CompletionTokens,
                TokensPerSecond = item.TokensPerSecond,
                Sources = StoredSources.Write(item.Sources),
                ToolCalls = StoredToolCalls.Write(item.ToolCalls),
                ToolCallId = item.Role == MessageRoles.Tool ? item.ToolCallId : null,
                CreatedAt = (item.CreatedAt ?? InFileOrder(now, i, items.Count)).ToUniversalTime(),
            });
        }

        var conversation = new Conversation
        {
            Id = conversationId,
            Title = string.IsNullOrWhiteSpace(settings.Title) ? null : settings.Title,
            SystemPrompt = settings.SystemPrompt,
            Model = string.IsNullOrWhiteSpace(settings.Model) ? null : settings.Model,
            // Kept even when no such prompt exists here: the export may come from another installation.
            PromptId = string.IsNullOrWhiteSpace(settings.PromptId) ? null : settings.PromptId,
            Variables = settings.Variables ?? [],
            Temperature = settings.Temperature,
            TopP = settings.TopP,
            MaxTokens = settings.MaxTokens,
            Seed = settings.Seed,
            UseDocuments = settings.UseDocuments,
            IndexName = string.IsNullOrWhiteSpace(settings.IndexName) ? null : settings.IndexName,
            CreatedAt = (source.CreatedAt ?? now).ToUniversalTime(),
            UpdatedAt = now,
        };

        messages.Sort(MessageTree.Chronological);
        var tree = new MessageTree(conversation, messages);
        if (FindCycle(messages) is { } looping)
        {
            throw Invalid("messages", $"The messages' parent_id links form a cycle (through message {newIds.First(pair => pair.Value == looping).Key}).");
        }

        if (source.ActiveLeafId is { } activeLeaf)
        {
            conversation.ActiveLeafId = newIds.TryGetValue(activeLeaf, out var newLeaf)
                ? newLeaf
                : throw Invalid("conversation.active_leaf_id", $"active_leaf_id {activeLeaf} is not the id of a message in this export.");
        }
        else if (messages.Count > 0)
        {
            conversation.ActiveLeafId = tree.NewestLeafBelow(messages.First(m => m.ParentId is null).Id);
        }

        if (conversation.Title is null && messages.FirstOrDefault(m => m.Role == MessageRoles.User) is { } firstUser)
        {
            conversation.Title = ConversationTitle.FromMessage(firstUser.Content);
        }

        return (conversation, messages);
    }

    /// <summary>The statuses an import may set: those of a finished message.</summary>
    public static IReadOnlyList<string> ImportableStatuses { get; } = [MessageStatuses.Complete, MessageStatuses.Stopped, MessageStatuses.Failed];

    /// <summary>
    /// A message whose parent chain never reaches a root, or null. Each message is walked once (a chain of 100,000
    /// would take 5 billion steps if every message walked to its root).
    /// </summary>
    private static Guid? FindCycle(List<Message> messages)
    {
        var parents = messages.ToDictionary(m => m.Id, m => m.ParentId);
        var reachesRoot = new HashSet<Guid>();
        var walk = new HashSet<Guid>();
        foreach (var message in messages)
        {
            walk.Clear();
            for (Guid? current = message.Id; current is { } id && !reachesRoot.Contains(id); current = parents[id])
            {
                if (!walk.Add(id))
                {
                    return id;
                }
            }

            reachesRoot.UnionWith(walk);
        }

        return null;
    }

    /// <summary>
    /// A time for the message at <paramref name="index"/> that keeps the file's order (a millisecond apart, ending
    /// now): messages without <c>created_at</c> would otherwise share one time and list in any order.
    /// </summary>
    private static DateTimeOffset InFileOrder(DateTimeOffset now, int index, int count) => now.AddMilliseconds(index - count + 1);

    private static ConversationStoreException Invalid(string field, string message) => new(ConversationStoreError.Invalid, message, field);
}
