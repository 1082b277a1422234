using System.Globalization;
using System.Text;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// The active branch as a readable Markdown document (not meant for import: use the JSON export). Only the export
/// writes structure: every message and the system prompt sit in a code fence longer than any backtick run inside
/// them, and one-line values (title, model, prompt) are escaped, so no text a person or a model wrote can become a
/// heading, HTML (<c>&lt;script&gt;</c>, <c>&lt;img onerror&gt;</c>) or a link (<c>javascript:</c>) in a viewer.
/// </summary>
public static class ConversationMarkdown
{
    public static string Write(ConversationRecord conversation, IReadOnlyList<MessageRecord> branch, DateTimeOffset exportedAt)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(branch);
        var text = new StringBuilder();
        text.Append("# ").AppendLine(string.IsNullOrWhiteSpace(conversation.Title) ? "Conversation" : Inline(conversation.Title)).AppendLine();
        Line(text, "Conversation", conversation.Id.ToString());
        if (conversation.Model is { } model)
        {
            Line(text, "Model", Inline(model));
        }

        if (conversation.PromptId is { } promptId)
        {
            Line(text, "Prompt", Inline(promptId));
        }

        Line(text, "Created", Time(conversation.CreatedAt));
        Line(text, "Exported", Time(exportedAt));
        text.AppendLine();

        if (!string.IsNullOrWhiteSpace(conversation.SystemPrompt))
        {
            text.AppendLine("## System prompt").AppendLine();
            Fenced(text, conversation.SystemPrompt);
        }

        foreach (var message in branch)
        {
            text.Append("## ").Append(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(message.Role));
            var facts = new List<string>();
            if (message.Role == MessageRoles.Assistant)
            {
                if (message.Model is { } replyModel)
                {
                    facts.Add(Inline(replyModel));
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

            if (message.Role == MessageRoles.Tool && message.ToolCallId is { } callId)
            {
                facts.Add(Inline(callId));
            }

            if (message.Status != MessageStatuses.Complete)
            {
                facts.Add(Inline(message.Status));
            }

            if (facts.Count > 0)
            {
                text.Append(" (").AppendJoin(", ", facts).Append(')');
            }

            text.AppendLine().AppendLine();
            if (message.Role == MessageRoles.Tool)
            {
                Quoted(text, message.Content);
                continue;
            }

            var calls = message.ToolCalls ?? [];
            if (calls.Count == 0 || !string.IsNullOrEmpty(message.Content))
            {
                Fenced(text, message.Content);
            }

            foreach (var call in calls)
            {
                var name = call.Function?.Name ?? string.Empty;
                // A code span only for a name that cannot close or break it (OpenAI's names are [A-Za-z0-9_-]).
                text.Append("**Tool call** ")
                    .Append(name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? $"`{name}`" : Inline(name));
                if (call.Id is { } id)
                {
                    text.Append(" (").Append(Inline(id)).Append(')');
                }

                text.Append("\n\n");
                Fenced(text, call.Function?.Arguments ?? string.Empty, "json");
            }
        }

        return text.ToString().TrimEnd() + "\n";
    }

    /// <summary>
    /// Text as a fenced code block: CommonMark ends a fence only at a line of at least as many backticks, so a fence
    /// one longer than the longest run inside cannot be closed early, and nothing inside is read as Markdown or HTML.
    /// </summary>
    internal static void Fenced(StringBuilder text, string content, string language = "text")
    {
        var longest = 0;
        var run = 0;
        foreach (var character in content)
        {
            run = character == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        var body = content.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Trim('\n');
        text.Append(fence).Append(language).Append('\n').Append(body).Append('\n').Append(fence).Append("\n\n");
    }

    /// <summary>A tool's result as a quoted block: the fenced block of <see cref="Fenced"/>, each line behind <c>&gt; </c>.</summary>
    internal static void Quoted(StringBuilder text, string content)
    {
        var block = new StringBuilder();
        Fenced(block, content);
        foreach (var line in block.ToString().TrimEnd('\n').Split('\n'))
        {
            text.Append(line.Length > 0 ? "> " : ">").AppendLine(line);
        }

        text.AppendLine();
    }

    /// <summary>
    /// A value on one line: line breaks and other control characters become spaces, and every ASCII punctuation
    /// mark Markdown or HTML could read is backslash-escaped (CommonMark allows that before any of them).
    /// </summary>
    internal static string Inline(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        var space = false;
        foreach (var character in value)
        {
            if (char.IsControl(character) || char.IsWhiteSpace(character) || character is '\u2028' or '\u2029')
            {
                space = text.Length > 0;
                continue;
            }

            if (space)
            {
                text.Append(' ');
                space = false;
            }

            if (char.IsAsciiLetterOrDigit(character) || character > '\x7f' || character is ' ' or ',' or '.' or '-' or ':' or '/' or '\'' or '"' or '?' or ';' or '=' or '@' or '%' or '$' or '^' or '{' or '}')
            {
                text.Append(character);
            }
            else
            {
                text.Append('\\').Append(character);
            }
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, string value) => text.Append("- ").Append(name).Append(": ").AppendLine(value);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
