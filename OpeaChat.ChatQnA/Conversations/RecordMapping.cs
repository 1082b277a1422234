using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

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
    };
}
