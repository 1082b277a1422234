using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>
/// A web page's main text (AngleSharp): the <c>main</c> or <c>article</c> element when there is one, else the body,
/// without scripts, styles, navigation, headers and footers; split into sections at its headings.
/// </summary>
internal static class HtmlReader
{
    private static readonly string[] s_noise = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg", "iframe"];
    private static readonly HashSet<string> s_blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "li", "pre", "blockquote", "td", "th", "dt", "dd", "figcaption", "caption", "div", "section", "article", "main", "tr", "table", "ul", "ol", "dl",
    };

    public static ParsedDocument Read(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var root = document.QuerySelector("main") ?? document.QuerySelector("article") ?? document.Body ?? document.DocumentElement;
        foreach (var noise in root.QuerySelectorAll(string.Join(',', s_noise)).ToList())
        {
            noise.Remove();
        }

        var sections = new List<DocumentSection>();
        string? heading = document.Title is { Length: > 0 } title ? title.Trim() : null;
        var text = new StringBuilder();
        void Flush()
        {
            if (text.ToString().Trim() is { Length: > 0 } block)
            {
                sections.Add(new DocumentSection(block, heading, null));
            }

            text.Clear();
        }

        Walk(root);
        Flush();
        return new ParsedDocument(DocumentFormats.Html, sections, null);

        void Walk(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child is IElement element && element.LocalName is "h1" or "h2" or "h3" or "h4" or "h5" or "h6")
                {
                    Flush();
                    heading = Collapse(element.TextContent);
                    text.AppendLine(heading);
                }
                else if (child is IElement block && s_blocks.Contains(block.LocalName))
                {
                    Walk(block);
                    text.AppendLine();
                }
                else if (child is IElement { LocalName: "br" })
                {
                    text.AppendLine();
                }
                else if (child is IElement inline)
                {
                    Walk(inline);
                }
                else if (child.NodeType == NodeType.Text)
                {
                    text.Append(Collapse(child.TextContent, keepEdges: true));
                }
            }
        }
    }

    private static string Collapse(string text, bool keepEdges = false)
    {
        var collapsed = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
        return keepEdges ? collapsed : collapsed.Trim();
    }
}
