using System.Globalization;
using System.Text;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// Turns any user text into the words to search for, so that neither store interprets it: FTS5 and PostgreSQL both
/// have query syntax (quotes, <c>AND</c>/<c>OR</c>/<c>NOT</c>/<c>NEAR</c>, <c>*</c>, <c>-</c>, <c>column:</c>) that
/// would otherwise throw on odd input or change what is searched.
/// </summary>
internal static class FullTextQuery
{
    /// <summary>Enough for any question; a pasted page would otherwise make a query of thousands of terms.</summary>
    public const int MaxWords = 64;

    /// <summary>Distinct lower-cased runs of letters and digits, in order of first appearance.</summary>
    public static IReadOnlyList<string> Words(string? text)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return words;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        foreach (var character in text.Normalize(NormalizationForm.FormC))
        {
            if (IsWordCharacter(character))
            {
                word.Append(char.ToLowerInvariant(character));
                continue;
            }

            if (Flush(word, words, seen) && words.Count == MaxWords)
            {
                return words;
            }
        }

        Flush(word, words, seen);
        return words;
    }

    /// <summary>An FTS5 expression matching any of the words, each a quoted string (no operator survives quoting).</summary>
    public static string ToFts5(IReadOnlyList<string> words) =>
        string.Join(" OR ", words.Select(word => "\"" + word.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));

    /// <summary>Text for <c>websearch_to_tsquery</c> matching any of the words (its own <c>or</c> left out as a word).</summary>
    public static string ToWebSearch(IReadOnlyList<string> words) =>
        string.Join(" or ", words.Where(word => word != "or"));

    private static bool IsWordCharacter(char character) =>
        char.IsLetterOrDigit(character)
        || CharUnicodeInfo.GetUnicodeCategory(character) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
        || char.IsSurrogate(character);

    private static bool Flush(StringBuilder word, List<string> words, HashSet<string> seen)
    {
        if (word.Length == 0)
        {
            return false;
        }

        var text = word.ToString();
        word.Clear();
        if (!seen.Add(text))
        {
            return false;
        }

        words.Add(text);
        return true;
    }
}
