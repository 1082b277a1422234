using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace OpeaChat.Tests.ChatQnA.Dataprep;

/// <summary>Documents the tests make themselves, each format with facts of its own (and headings or pages where it has them).</summary>
public static class TestCorpus
{
    public const string TextFact = "The ferry to Oskarholm leaves at seven minutes past every hour.";
    public const string MarkdownFact = "Tulip bulbs in the Brannock allotments are planted in late October.";
    public const string HtmlFact = "The Quorra observatory opens its dome only on moonless nights.";
    public const string PdfFact = "Invoice numbers at Pellworth Ltd always begin with the letters PW.";
    public const string DocxFact = "The Halvard choir rehearses in the old boathouse every Tuesday.";

    public static byte[] Text() => Encoding.UTF8.GetBytes($"Travel notes\n\n{TextFact}\n\nBring a warm coat.");

    public static byte[] Markdown() => Encoding.UTF8.GetBytes($"# Garden guide\n\nIntro text.\n\n## Planting\n\n{MarkdownFact}\n\n```\n# not a heading\n```\n");

    public static byte[] Html() => Encoding.UTF8.GetBytes($"""
        <!DOCTYPE html><html><head><title>Sky</title><script>var secret = "script text";</script></head>
        <body><nav>Home | About</nav><main><h1>Observatory</h1><p>{HtmlFact}</p><ul><li>First item</li></ul></main>
        <footer>Footer text</footer></body></html>
        """);

    /// <summary>Three pages; the fact is on page 2.</summary>
    public static byte[] Pdf()
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        string[] pages = ["Annual report, page one.", PdfFact, "Closing remarks on page three."];
        foreach (var text in pages)
        {
            builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4).AddText(text, 12, new PdfPoint(50, 700), font);
        }

        return builder.Build();
    }

    public static byte[] Docx()
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new Document(new Body(
                Paragraph("Choir handbook", "Title"),
                Paragraph("General notes for members.", null),
                Paragraph("Rehearsals", "Heading1"),
                Paragraph(DocxFact, null),
                new Table(new TableRow(new TableCell(new Paragraph(new Run(new Text("Voice")))), new TableCell(new Paragraph(new Run(new Text("Tenor"))))))));
        }

        return stream.ToArray();
    }

    private static Paragraph Paragraph(string text, string? style)
    {
        var paragraph = new Paragraph(new Run(new Text(text)));
        if (style is not null)
        {
            paragraph.PrependChild(new ParagraphProperties(new ParagraphStyleId { Val = style }));
        }

        return paragraph;
    }
}
