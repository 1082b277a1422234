using System.Globalization;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Web.Chat;

/// <summary>
/// Turns the markers a model writes in its reply ([1], [2] …) into buttons for the numbered citations under the reply:
/// only numbers the reply has a source for, and never inside code, links or buttons. It runs on the sanitized HTML
/// (the buttons are ours, as the code blocks' copy buttons are); the page's script (app.js) passes a marker's click
/// on to its numbered citation, so both open the same dialog.
/// </summary>
public static partial class CitationMarkers
{
    // Text in these stays as the model wrote it: code is code, and a button or link inside a link is not allowed.
    private static readonly HashSet<string> s_skipped = new(StringComparer.OrdinalIgnoreCase) { "CODE", "PRE", "KBD", "SAMP", "A", "BUTTON" };

    /// <param name="safeHtml">The reply as <see cref="MarkdownRenderer.ToSafeHtml"/> made it.</param>
    /// <param name="citationId">The id of the numbered citation button for a number (1-based).</param>
    public static string Link(string safeHtml, IReadOnlyList<RetrievedSource> sources, Func<int, string> citationId)
    {
        ArgumentNullException.ThrowIfNull(safeHtml);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(citationId);
        // Most replies cite nothing: no parse for them.
        if (sources.Count == 0 || !Marker().IsMatch(safeHtml))
        {
            return safeHtml;
        }

        // A parser per call: replies of several circuits render at once.
        var document = new HtmlParser().ParseDocument(string.Empty);
        var body = document.Body!;
        body.InnerHtml = safeHtml;
        var changed = false;
        foreach (var text in body.Descendants<IText>().Where(node => !InSkipped(node, body)).ToList())
        {
            changed |= Replace(document, text, sources, citationId);
        }

        return changed ? body.InnerHtml : safeHtml;
    }

    private static bool InSkipped(INode node, IElement root)
    {
        for (var parent = node.ParentElement; parent is not null && parent != root; parent = parent.ParentElement)
        {
            if (s_skipped.Contains(parent.TagName))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Replace(IDocument document, IText text, IReadOnlyList<RetrievedSource> sources, Func<int, string> citationId)
    {
        var value = text.Data;
        var nodes = new List<INode>();
        var at = 0;
        foreach (Match match in Marker().Matches(value))
        {
            if (!int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > sources.Count)
            {
                continue; // a number with no source is just text
            }

            if (match.Index > at)
            {
                nodes.Add(document.CreateTextNode(value[at..match.Index]));
            }

            nodes.Add(Button(document, number, sources[number - 1], citationId(number)));
            at = match.Index + match.Length;
        }

        if (nodes.Count == 0)
        {
            return false;
        }

        if (at < value.Length)
        {
            nodes.Add(document.CreateTextNode(value[at..]));
        }

        text.Replace([.. nodes]);
        return true;
    }

    private static IElement Button(IDocument document, int number, RetrievedSource source, string target)
    {
        var button = document.CreateElement("button");
        button.SetAttribute("type", "button");
        button.SetAttribute("class", "citation-marker");
        button.SetAttribute("data-number", number.ToString(CultureInfo.InvariantCulture));
        button.SetAttribute("data-citation-for", target);
        // The same name as the numbered citation it opens.
        button.SetAttribute("aria-label", $"Source {number}: {source.Document}");
        button.SetAttribute("title", source.Document);
        button.TextContent = $"[{number}]";
        return button;
    }

    [GeneratedRegex(@"\[(\d{1,3})\]", RegexOptions.CultureInvariant)]
    private static partial Regex Marker();
}
