using System.Text;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Dataprep;
using OpeaChat.ChatQnA.Dataprep.Parsing;

namespace OpeaChat.Tests.ChatQnA.Dataprep;

public sealed class DocumentParserTests
{
    private readonly DocumentParser _parser = new(Options.Create(new DataprepOptions()));

    [Fact]
    public void Each_format_is_read_with_its_text_headings_and_pages()
    {
        var text = _parser.Parse("notes.txt", TestCorpus.Text());
        var markdown = _parser.Parse("guide.md", TestCorpus.Markdown());
        var html = _parser.Parse("sky.html", TestCorpus.Html());
        var pdf = _parser.Parse("report.pdf", TestCorpus.Pdf());
        var docx = _parser.Parse("choir.docx", TestCorpus.Docx());

        Assert.Equal(("txt", true), (text.Format, Joined(text).Contains(TestCorpus.TextFact, StringComparison.Ordinal)));
        Assert.Equal("md", markdown.Format);
        Assert.Equal("Planting", Assert.Single(markdown.Sections, s => s.Text.Contains(TestCorpus.MarkdownFact, StringComparison.Ordinal)).Heading);
        Assert.DoesNotContain(markdown.Sections, s => s.Heading == "not a heading");
        Assert.Equal("html", html.Format);
        Assert.Equal("Observatory", Assert.Single(html.Sections, s => s.Text.Contains(TestCorpus.HtmlFact, StringComparison.Ordinal)).Heading);
        Assert.DoesNotContain("script text", Joined(html), StringComparison.Ordinal);
        Assert.DoesNotContain("Footer text", Joined(html), StringComparison.Ordinal);
        Assert.DoesNotContain("Home | About", Joined(html), StringComparison.Ordinal);
        Assert.Equal(("pdf", 3), (pdf.Format, pdf.Pages));
        Assert.Equal(2, Assert.Single(pdf.Sections, s => s.Text.Contains(TestCorpus.PdfFact, StringComparison.Ordinal)).Page);
        Assert.Equal("docx", docx.Format);
        Assert.Equal("Rehearsals", Assert.Single(docx.Sections, s => s.Text.Contains(TestCorpus.DocxFact, StringComparison.Ordinal)).Heading);
        Assert.Contains("Voice | Tenor", Joined(docx), StringComparison.Ordinal);
    }

    [Fact]
    public void The_format_comes_from_the_content_not_the_name()
    {
        Assert.Equal("pdf", _parser.Parse("actually-a-pdf.txt", TestCorpus.Pdf()).Format);
        Assert.Equal("docx", _parser.Parse("upload.bin", TestCorpus.Docx()).Format);
        Assert.Equal("html", _parser.Parse("page.txt", TestCorpus.Html()).Format);
    }

    [Fact]
    public void Csv_rows_and_json_records_keep_their_field_names()
    {
        var csv = Joined(_parser.Parse("people.csv", Encoding.UTF8.GetBytes("name,city\nAda,\"London, UK\"\nLin,Oslo\n")));
        var json = Joined(_parser.Parse("config.json", Encoding.UTF8.GetBytes("""{"server": {"port": 8080, "tags": ["a", "b"]}}""")));
        var jsonl = _parser.Parse("events.jsonl", Encoding.UTF8.GetBytes("{\"id\": 1, \"what\": \"start\"}\n{\"id\": 2, \"what\": \"stop\"}\n"));

        Assert.Contains("name: Ada; city: London, UK", csv, StringComparison.Ordinal);
        Assert.Contains("name: Lin; city: Oslo", csv, StringComparison.Ordinal);
        Assert.Contains("server.port: 8080", json, StringComparison.Ordinal);
        Assert.Contains("server.tags[1]: b", json, StringComparison.Ordinal);
        Assert.Equal("jsonl", jsonl.Format);
        Assert.Contains("id: 2; what: stop", Joined(jsonl), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> Unreadable => new()
    {
        { "empty.txt", [], "empty" },
        { "blank.txt", Encoding.UTF8.GetBytes(" \n\t\n"), "no text" },
        { "image.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], "binary" },
        { "latin1.txt", [0x48, 0xE9, 0x6C, 0x6C, 0x6F], "not UTF-8" },
        { "archive.docx", Zip(), "not a Word document" },
        { "old.doc", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "old binary Office" },
        { "broken.pdf", Encoding.ASCII.GetBytes("%PDF-1.7\nthis is not really a pdf"), "PDF" },
        { "broken.json", Encoding.UTF8.GetBytes("{\"a\": "), "not valid" },
        { "encrypted.pdf", Encrypted(TestCorpus.Pdf()), "encrypted" },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void An_unreadable_file_says_why(string name, byte[] content, string reason)
    {
        var exception = Assert.Throws<DocumentParseException>(() => _parser.Parse(name, content));

        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_and_character_caps_hold()
    {
        var small = new DocumentParser(Options.Create(new DataprepOptions { MaxPages = 2, MaxCharacters = 1_000 }));

        Assert.Contains("3 pages", Assert.Throws<DocumentParseException>(() => small.Parse("report.pdf", TestCorpus.Pdf())).Message, StringComparison.Ordinal);
        Assert.Contains("MaxCharacters", Assert.Throws<DocumentParseException>(() => small.Parse("long.txt", Encoding.UTF8.GetBytes(new string('a', 2_000)))).Message, StringComparison.Ordinal);
    }

    private static string Joined(ParsedDocument document) => string.Join("\n", document.Sections.Select(section => section.Text));

    private static byte[] Zip()
    {
        using var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open());
            writer.Write("hello");
        }

        return stream.ToArray();
    }

    /// <summary>The PDF with an encryption dictionary in its trailer, as a password-protected PDF has.</summary>
    private static byte[] Encrypted(byte[] pdf)
    {
        var text = Encoding.Latin1.GetString(pdf);
        var trailer = text.LastIndexOf("trailer", StringComparison.Ordinal);
        var open = text.IndexOf("<<", trailer, StringComparison.Ordinal);
        return Encoding.Latin1.GetBytes(text[..(open + 2)] + " /Encrypt << /Filter /Standard /V 1 /R 2 /O (x) /U (y) /P -4 >> " + text[(open + 2)..]);
    }
}
