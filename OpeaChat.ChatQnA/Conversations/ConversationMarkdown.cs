using System.Globalization;
using System.Text;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>The active branch as a readable Markdown document (not meant for import: use the JSON export).</summary>
public static class ConversationMarkdown
{
    public static string Write(ConversationRecord conversation, IReadOnlyList<MessageRecord> branch, DateTimeOffset exportedAt)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(branch);
        var text = new StringBuilder();
        text.Append("# ").AppendLine(string.IsNullOrWhiteSpace(conversation.Title) ? "Conversation" : conversation.Title).AppendLine();
        Line(text, "Conversation", conversation.Id.ToString());
        if (conversation.Model is { } model)
        {
            Line(text, "Model", model);
        }

        if (conversation.PromptId is { } promptId)
        {
            Line(text, "Prompt", promptId);
        }

        Line(text, "Created", Time(conversation.CreatedAt));
        Line(text, "Exported", Time(exportedAt));
        text.AppendLine();

        if (!string.IsNullOrWhiteSpace(conversation.SystemPrompt))
        {
            text.AppendLine("## System prompt").AppendLine().AppendLine(conversation.SystemPrompt.Trim()).AppendLine();
        }

        foreach (var message in branch)
        {
            text.Append("## ").Append(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(message.Role));
            var facts = new List<string>();
            if (message.Role == MessageRoles.Assistant)
            {
                if (message.Model is { } replyModel)
                {
                    facts.Add(replyModel);
                }

                if (message.CompletionTokens is { } tokens)
                {
                    facts.Add(string.Create(CultureInfo.InvariantCulture, $"{tokens} tokens"));
                }

                if (message.TokensPerSecond is { } speed)
                {
                    facts.Add(string.Create(CultureInfo.InvariantCulture, $"{speed:0.#} tokens/s"));
                }
            }

            if (message.Status != MessageStatuses.Complete)
            {
                facts.Add(message.Status);
            }

            if (facts.Count > 0)
            {
                text.Append(" (").AppendJoin(", ", facts).Append(')');
            }

            text.AppendLine().AppendLine().AppendLine(message.Content.Trim()).AppendLine();
        }

        return text.ToString().TrimEnd() + "\n";
    }

    private static void Line(StringBuilder text, string name, string value) => text.Append("- ").Append(name).Append(": ").AppendLine(value);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
