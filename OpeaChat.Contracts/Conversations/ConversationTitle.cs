using System.Text;

namespace OpeaChat.Contracts.Conversations;

/// <summary>
/// Titles made from a user's first message (the gateway stores them; the web shows a new chat's at once, the same
/// way), and file names made from titles.
/// </summary>
public static class ConversationTitle
{
    public const int MaxLength = 60;

    /// <summary>
    /// The message on one line (runs of white space become one space), cut to at most <see cref="MaxLength"/>
    /// characters at a word boundary with "…" added; a single over-long word is cut where it must be.
    /// </summary>
    public static string FromMessage(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var line = string.Join(' ', content.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (line.Length == 0)
        {
            return "New conversation";
        }

        if (line.Length <= MaxLength)
        {
            return line;
        }

        // Room for the ellipsis; prefer the last space, unless that would leave too little.
        var cut = line.LastIndexOf(' ', MaxLength - 1);
        if (cut < MaxLength / 3)
        {
            cut = MaxLength - 1;
            if (char.IsHighSurrogate(line[cut - 1]))
            {
                cut--;
            }
        }

        return line[..cut].TrimEnd(' ', ',', ';', ':', '-') + "…";
    }

    /// <summary>
    /// A safe download name: the title's letters and digits (any script: "Ünïcødé 日本" gives "ünïcødé-日本") joined by
    /// '-', lower case, at most 50 characters, or "conversation".
    /// </summary>
    public static string ToFileName(string? title, string extension) => Name(title, extension, ascii: false);

    /// <summary>
    /// The name for clients that cannot read RFC 5987's <c>filename*</c>: accents dropped, other letters as
    /// separators ("Ünïcødé" gives "unic-de": ø has no accent to drop).
    /// </summary>
    public static string ToAsciiFileName(string? title, string extension) =>
        Name((title ?? string.Empty).Normalize(NormalizationForm.FormD), extension, ascii: true);

    private static string Name(string? title, string extension, bool ascii)
    {
        var name = new StringBuilder();
        foreach (var rune in (title ?? string.Empty).ToLowerInvariant().EnumerateRunes())
        {
            if (ascii ? rune.IsAscii && Rune.IsLetterOrDigit(rune) : Rune.IsLetterOrDigit(rune))
            {
                name.Append(rune.ToString());
            }
            else if (Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark)
            {
                // Accents of a decomposed letter ("u" + "¨"): kept with their letter, or dropped for ASCII.
                if (!ascii && name.Length > 0 && name[^1] != '-')
                {
                    name.Append(rune.ToString());
                }
            }
            else if (name.Length > 0 && name[^1] != '-')
            {
                name.Append('-');
            }

            if (name.Length >= 50)
            {
                break;
            }
        }

        var stem = name.ToString().Trim('-');
        if (char.IsHighSurrogate(stem.LastOrDefault()))
        {
            stem = stem[..^1];
        }

        return $"{(stem.Length == 0 ? "conversation" : stem)}.{extension}";
    }
}
