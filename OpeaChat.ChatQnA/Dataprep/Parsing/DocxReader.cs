using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>A Word document's paragraphs and tables (Open XML SDK), split into sections at its headings.</summary>
internal static class DocxReader
{
    public static ParsedDocument Read(ReadOnlyMemory<byte> content)
    {
        try
        {
            using var stream = new MemoryStream(content.ToArray(), writable: false);
            using var document = WordprocessingDocument.Open(stream, isEditable: false);
            var body = document.MainDocumentPart?.Document?.Body ?? throw new DocumentParseException("the Word document has no body.");
            var sections = new List<DocumentSection>();
            string? heading = null;
            var text = new StringBuilder();

            void Flush()
            {
                if (text.Length > 0)
                {
                    sections.Add(new DocumentSection(text.ToString().Trim(), heading, null));
                    text.Clear();
                }
            }

            foreach (var element in body.ChildElements)
            {
                switch (element)
                {
                    case Paragraph paragraph when IsHeading(paragraph):
                        Flush();
                        heading = paragraph.InnerText.Trim();
                        text.AppendLine(heading);
                        break;
                    case Paragraph paragraph:
                        text.AppendLine(paragraph.InnerText);
                        break;
                    case Table table:
                        foreach (var row in table.Elements<TableRow>())
                        {
                            text.AppendLine(string.Join(" | ", row.Elements<TableCell>().Select(cell => cell.InnerText.Trim())));
                        }

                        text.AppendLine();
                        break;
                }
            }

            Flush();
            return new ParsedDocument(DocumentFormats.Docx, sections, null);
        }
        catch (Exception exception) when (exception is DocumentFormat.OpenXml.Packaging.OpenXmlPackageException or InvalidDataException or System.Xml.XmlException or FileFormatException)
        {
            throw new DocumentParseException($"the Word document cannot be read: {exception.Message}", exception);
        }
    }

    private static bool IsHeading(Paragraph paragraph) =>
        paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value is { } style
        && (style.StartsWith("Heading", StringComparison.OrdinalIgnoreCase) || style.Equals("Title", StringComparison.OrdinalIgnoreCase));
}
