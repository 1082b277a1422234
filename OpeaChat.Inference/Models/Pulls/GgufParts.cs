using System.Text.RegularExpressions;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>
/// Multi-part GGUFs as llama.cpp's gguf-split writes them, <c>name-00001-of-00003.gguf</c>: llama.cpp loads the first
/// part and finds the others beside it, so only the first is a model and the others come and go with it.
/// </summary>
public static partial class GgufParts
{
    /// <summary>The part number and count of a split file's name, or null for a whole file.</summary>
    public static (int Part, int Count, string Stem)? Parse(string fileName)
    {
        var match = SplitName().Match(Path.GetFileName(fileName));
        return match.Success
            ? (int.Parse(match.Groups["part"].Value, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(match.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture),
                match.Groups["stem"].Value)
            : null;
    }

    /// <summary>True for the second and later parts of a split model.</summary>
    public static bool IsLaterPart(string fileName) => Parse(fileName) is { Part: > 1 };

    /// <summary>Every part's file name of the model whose first part (or whole file) this is.</summary>
    public static IReadOnlyList<string> AllParts(string fileName)
    {
        if (Parse(fileName) is not { } split)
        {
            return [Path.GetFileName(fileName)];
        }

        return [.. Enumerable.Range(1, split.Count).Select(part => PartName(split.Stem, part, split.Count))];
    }

    public static string PartName(string stem, int part, int count) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{stem}-{part:D5}-of-{count:D5}.gguf");

    [GeneratedRegex(@"^(?<stem>.+)-(?<part>\d{5})-of-(?<count>\d{5})\.gguf$", RegexOptions.IgnoreCase)]
    private static partial Regex SplitName();
}
