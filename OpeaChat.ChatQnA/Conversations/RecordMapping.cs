using OpeaChat.ChatQnA.Data;
using System.Text.Json;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>The stored rows as the records the stores give back.</summary>
internal static class RecordMapping
{
    public static ConversationRecord ToRecord(Conversation conversation) => new()
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
        UseDocuments = conversation.UseDocuments,
        IndexName = conversation.IndexName,
        ActiveLeafId = conversation.ActiveLeafId,
        CreatedAt = conversation.CreatedAt,
        UpdatedAt = conversation.UpdatedAt,
    };

    public static MessageRecord ToRecord(Message message) => new()
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
        Sources = StoredSources.Read(message.Sources),
        ToolCalls = StoredToolCalls.Read(message.ToolCalls),
        ToolCallId = message.ToolCallId,
    };
}

/// <summary>An assistant message's tool calls as the messages table keeps them: a JSON array, or null for none.</summary>
internal static class StoredToolCalls
{
    public static string? Write(IReadOnlyList<OpeaChat.Contracts.OpenAi.ToolCall>? calls) =>
        calls is { Count: > 0 } ? JsonSerializer.Serialize(calls, ConversationsJsonContext.Default.IReadOnlyListToolCall) : null;

    public static IReadOnlyList<OpeaChat.Contracts.OpenAi.ToolCall>? Read(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize(json, ConversationsJsonContext.Default.IReadOnlyListToolCall);
}

/// <summary>A reply's sources as the messages table keeps them: a JSON array, or null for none.</summary>
internal static class StoredSources
{
    public static string? Write(IReadOnlyList<RetrievedSource>? sources) =>
        sources is { Count: > 0 } ? JsonSerializer.Serialize(sources, RetrievalJsonContext.Default.IReadOnlyListRetrievedSource) : null;

    public static IReadOnlyList<RetrievedSource>? Read(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize(json, RetrievalJsonContext.Default.IReadOnlyListRetrievedSource);
}
