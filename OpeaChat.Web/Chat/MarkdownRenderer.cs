using System.Text.RegularExpressions;
using Ganss.Xss;
using Markdig;

namespace OpeaChat.Web.Chat;

/// <summary>
/// Turns a model's Markdown into HTML that is safe to put in the page: Markdig (tables, lists, fenced code, …)
/// with raw HTML disabled, then HtmlSanitizer over the result, so model output can never run script.
/// Code blocks get a copy button (markup added after sanitizing, so it is ours alone).
/// </summary>
public static partial class MarkdownRenderer
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAdvancedExtensions()
        .UseSoftlineBreakAsHardlineBreak()
        .DisableHtml()
        .Build();

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    public static string ToSafeHtml(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown))
        {
            return string.Empty;
        }

        var html = Markdown.ToHtml(markdown, Pipeline);
        var safe = Sanitizer.Sanitize(html);
        return PreOpen().Replace(safe, "<div class=\"code-block\"><button type=\"button\" class=\"code-copy\" aria-label=\"Copy code\" title=\"Copy code\">Copy</button><pre>")
            .Replace("</pre>", "</pre></div>", StringComparison.Ordinal);
    }

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedAttributes.Add("class");
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("mailto");
        // Links open outside the chat and never pass the page to the opened one.
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { TagName: "A" } link)
            {
                link.SetAttribute("target", "_blank");
                link.SetAttribute("rel", "noopener noreferrer nofollow");
            }
        };
        sanitizer.AllowedAttributes.Add("target");
        sanitizer.AllowedAttributes.Add("rel");
        return sanitizer;
    }

    [GeneratedRegex("<pre>", RegexOptions.CultureInvariant)]
    private static partial Regex PreOpen();
}
