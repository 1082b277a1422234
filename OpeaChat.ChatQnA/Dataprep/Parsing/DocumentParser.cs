using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>
/// Reads a file of any supported format into sections of text. The format comes from the content (a PDF named
/// <c>.txt</c> is read as a PDF); the extension only tells apart text formats that look alike (Markdown, CSV).
/// </summary>
public sealed class DocumentParser(IOptions<DataprepOptions> options)
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public ParsedDocument Parse(string fileName, ReadOnlyMemory<byte> content, string? contentType = null)
    {
        if (content.IsEmpty)
        {
            throw new DocumentParseException("the file is empty.");
        }

        var parsed = Detect(fileName, content.Span, contentType) switch
        {
            DocumentFormats.Pdf => PdfReader.Read(content, options.Value.MaxPages),
            DocumentFormats.Docx => DocxReader.Read(content),
            var format => ReadText(format, Decode(content.Span)),
        };

        if (parsed.Sections.All(section => string.IsNullOrWhiteSpace(section.Text)))
        {
            throw new DocumentParseException($"it holds no text (read as {parsed.Format}).");
        }

        if (parsed.Characters > options.Value.MaxCharacters)
        {
            throw new DocumentParseException($"it holds {parsed.Characters} characters of text; at most {options.Value.MaxCharacters} are read (ChatQnA:Dataprep:MaxCharacters).");
        }

        return parsed with { Sections = parsed.Sections.Where(section => !string.IsNullOrWhiteSpace(section.Text)).ToList() };
    }

    /// <summary>The format of <paramref name="content"/>: by its magic bytes, then by its text, then by the extension.</summary>
    public static string Detect(string fileName, ReadOnlySpan<byte> content, string? contentType = null)
    {
        if (content.StartsWith("%PDF-"u8))
        {
            return DocumentFormats.Pdf;
        }

        if (content.StartsWith("PK\u0003\u0004"u8))
        {
            return IsWordDocument(content)
                ? DocumentFormats.Docx
                : throw new DocumentParseException("it is a ZIP archive but not a Word document (.docx); only .docx is read of the Office formats.");
        }

        if (content.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0]))
        {
            throw new DocumentParseException("it is an old binary Office file (.doc, .xls); save it as .docx or PDF.");
        }

        var head = content[..Math.Min(content.Length, 4096)];
        if (head.IndexOf((byte)0) >= 0)
        {
            throw new DocumentParseException("it is a binary file of a format OpeaChat does not read (txt, md, html, pdf, docx, csv, json, jsonl).");
        }

        var start = Encoding.UTF8.GetString(head).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        if (start.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase)
            || contentType?.Contains("html", StringComparison.OrdinalIgnoreCase) == true
            || (start.StartsWith('<') && start.Contains("<body", StringComparison.OrdinalIgnoreCase)))
        {
            return DocumentFormats.Html;
        }

        if (extension is ".jsonl" or ".ndjson")
        {
            return DocumentFormats.JsonLines;
        }

        if (start.StartsWith('{') || start.StartsWith('['))
        {
            return extension == ".jsonl" ? DocumentFormats.JsonLines : LooksLikeJsonLines(content) ? DocumentFormats.JsonLines : DocumentFormats.Json;
        }

        return extension switch
        {
            ".md" or ".markdown" => DocumentFormats.Markdown,
            ".csv" => DocumentFormats.Csv,
            ".html" or ".htm" => DocumentFormats.Html,
            _ when contentType?.Contains("markdown", StringComparison.OrdinalIgnoreCase) == true => DocumentFormats.Markdown,
            _ when contentType?.Contains("csv", StringComparison.OrdinalIgnoreCase) == true => DocumentFormats.Csv,
            _ => DocumentFormats.Text,
        };
    }

    private static ParsedDocument ReadText(string format, string text) => format switch
    {
        DocumentFormats.Html => HtmlReader.Read(text),
        DocumentFormats.Markdown => MarkdownReader.Read(text),
        DocumentFormats.Csv => StructuredTextReader.ReadCsv(text),
        DocumentFormats.Json => StructuredTextReader.ReadJson(text),
        DocumentFormats.JsonLines => StructuredTextReader.ReadJsonLines(text),
        _ => new ParsedDocument(DocumentFormats.Text, [new DocumentSection(text.Trim('\uFEFF'), null, null)], null),
    };

    private static string Decode(ReadOnlySpan<byte> content)
    {
        try
        {
            return s_strictUtf8.GetString(content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? content[3..] : content);
        }
        catch (DecoderFallbackException exception)
        {
            throw new DocumentParseException("its text is not UTF-8.", exception);
        }
    }

    private static bool IsWordDocument(ReadOnlySpan<byte> content)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content.ToArray()), ZipArchiveMode.Read);
            return zip.GetEntry("word/document.xml") is not null;
        }
        catch (InvalidDataException)
        {
            throw new DocumentParseException("it looks like a ZIP archive (.docx) but is damaged.");
        }
    }

    private static bool LooksLikeJsonLines(ReadOnlySpan<byte> content)
    {
        var lines = Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 && lines.All(line => line.StartsWith('{') && line.EndsWith('}'));
    }
}
