using System.Text;
using Markdig;

namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>Markdown split into sections at its ATX headings (<c># …</c>, outside code fences), each made plain text by Markdig.</summary>
internal static class MarkdownReader
{
    public static ParsedDocument Read(string markdown)
    {
        var sections = new List<DocumentSection>();
        string? heading = null;
        var text = new StringBuilder();
        var inFence = false;
        void Flush()
        {
            if (Markdown.ToPlainText(text.ToString()).Trim() is { Length: > 0 } plain)
            {
                sections.Add(new DocumentSection(plain, heading, null));
            }

            text.Clear();
        }

        foreach (var line in markdown.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }

            if (!inFence && trimmed.StartsWith('#') && trimmed.TrimStart('#').StartsWith(' '))
            {
                Flush();
                heading = trimmed.TrimStart('#').Trim().TrimEnd('#').Trim();
            }

            text.Append(line).Append('\n');
        }

        Flush();
        return new ParsedDocument(DocumentFormats.Markdown, sections, null);
    }
}
