namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>A document's text in reading order, in sections that share a heading and a page.</summary>
public sealed record ParsedDocument(string Format, IReadOnlyList<DocumentSection> Sections, int? Pages)
{
    public long Characters => Sections.Sum(section => (long)section.Text.Length);
}

public sealed record DocumentSection(string Text, string? Heading, int? Page);

/// <summary>A document that cannot be read: encrypted, damaged, empty, too long or of a format OpeaChat does not read.</summary>
public sealed class DocumentParseException(string message, Exception? inner = null) : Exception(message, inner);

public static class DocumentFormats
{
    public const string Text = "txt";
    public const string Markdown = "md";
    public const string Html = "html";
    public const string Pdf = "pdf";
    public const string Docx = "docx";
    public const string Csv = "csv";
    public const string Json = "json";
    public const string JsonLines = "jsonl";
}
