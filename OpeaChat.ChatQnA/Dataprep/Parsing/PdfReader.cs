using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Exceptions;

namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>A PDF's text page by page (PdfPig, in content order), each page a section that keeps its number.</summary>
internal static class PdfReader
{
    public static ParsedDocument Read(ReadOnlyMemory<byte> content, int maxPages)
    {
        try
        {
            using var document = PdfDocument.Open(content.ToArray(), new ParsingOptions { UseLenientParsing = true });
            if (document.NumberOfPages > maxPages)
            {
                throw new DocumentParseException($"it has {document.NumberOfPages} pages; at most {maxPages} are read (ChatQnA:Dataprep:MaxPages).");
            }

            var sections = new List<DocumentSection>(document.NumberOfPages);
            foreach (var page in document.GetPages())
            {
                sections.Add(new DocumentSection(ContentOrderTextExtractor.GetText(page).Trim(), null, page.Number));
            }

            return new ParsedDocument(DocumentFormats.Pdf, sections, document.NumberOfPages);
        }
        catch (PdfDocumentEncryptedException exception)
        {
            throw new DocumentParseException("the PDF is encrypted (password-protected); save an unprotected copy.", exception);
        }
        catch (Exception exception) when (exception is PdfDocumentFormatException or IOException or InvalidDataException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or InvalidCastException)
        {
            throw new DocumentParseException($"the PDF cannot be read: {exception.Message}", exception);
        }
    }
}
