using System.Text;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>Titles made from a user's first message, and file names made from titles.</summary>
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

    /// <summary>A safe download name: the title's letters and digits joined by '-', lower case, or "conversation".</summary>
    public static string ToFileName(string? title, string extension)
    {
        var name = new StringBuilder();
        foreach (var character in (title ?? string.Empty).ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(character))
            {
                name.Append(character);
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
        return $"{(stem.Length == 0 ? "conversation" : stem)}.{extension}";
    }
}
