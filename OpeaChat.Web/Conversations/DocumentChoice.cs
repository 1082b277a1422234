using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// What a conversation answers from: its documents or not (<c>use_documents</c>) and which collection
/// (<c>index_name</c>; null: the gateway's default). Saved with the conversation's settings.
/// </summary>
public sealed record DocumentChoice(bool UseDocuments, string? IndexName)
{
    public static readonly DocumentChoice None = new(false, null);

    /// <summary>The collection searched, as the gateway names it (its default when none is set).</summary>
    public string Collection => string.IsNullOrWhiteSpace(IndexName) ? RetrievalDefaults.IndexName : IndexName;

    public static DocumentChoice Of(ConversationRecord? conversation) =>
        conversation is null ? None : new(conversation.UseDocuments ?? false, conversation.IndexName);

    public static DocumentChoice Of(ConversationUpdate? settings) =>
        settings is null ? None : new(settings.UseDocuments ?? false, settings.IndexName);

    /// <summary>Puts this choice into <paramref name="settings"/> (the other settings as they are).</summary>
    public ConversationUpdate ApplyTo(ConversationUpdate settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings with { UseDocuments = UseDocuments, IndexName = string.IsNullOrWhiteSpace(IndexName) ? null : IndexName.Trim() };
    }

    /// <summary>
    /// A stored conversation's settings as a full update: the gateway's PATCH from this page sends every setting, so
    /// changing the document choice must resend the others unchanged.
    /// </summary>
    public static ConversationUpdate SettingsOf(ConversationRecord conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return new ConversationUpdate
        {
            SystemPrompt = conversation.SystemPrompt,
            PromptId = conversation.PromptId,
            Variables = conversation.Variables.Count == 0 ? null : conversation.Variables,
            Temperature = conversation.Temperature,
            TopP = conversation.TopP,
            MaxTokens = conversation.MaxTokens,
            Seed = conversation.Seed,
            UseDocuments = conversation.UseDocuments,
            IndexName = conversation.IndexName,
        };
    }
}
