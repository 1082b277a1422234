using System.Globalization;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace OpeaChat.Benchmarks.Ingest;

/// <summary>A PDF of N pages of plain prose (about 3,800 characters a page, like a dense report), written with PdfPig.</summary>
public static class SyntheticPdf
{
    /// <summary>The words of its prose (besides "Section", "Page", "line" and numbers).</summary>
    public static IReadOnlyList<string> Words { get; } =
    [
        "harbour", "lighthouse", "contract", "engine", "policy", "river", "budget", "garden", "meeting", "window",
        "station", "report", "customer", "bridge", "market", "signal", "holiday", "kitchen", "planet", "ticket",
        "section", "page", "line",
    ];

    private static readonly string[] s_prose = [.. Words.Take(20)];

    public static byte[] Create(int pages, int seed = 42)
    {
        var random = new Random(seed);
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var number = 1; number <= pages; number++)
        {
            var page = builder.AddPage(PageSize.A4);
            page.AddText(string.Create(CultureInfo.InvariantCulture, $"Section {number}"), 14, new PdfPoint(50, 800), font);
            for (var line = 0; line < 40; line++)
            {
                var words = Enumerable.Range(0, 10).Select(_ => s_prose[random.Next(s_prose.Length)]);
                var text = string.Create(CultureInfo.InvariantCulture, $"Page {number} line {line}: {string.Join(' ', words)}.");
                page.AddText(text, 9, new PdfPoint(50, 780 - line * 18), font);
            }
        }

        return builder.Build();
    }
}
