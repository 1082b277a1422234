using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// Names of document collections (OPEA's <c>index_name</c>): 1 to 64 letters, digits, '-', '_' or '.', and not OPEA's
/// reserved <c>all</c>. A missing name is the default collection.
/// </summary>
public static class IndexNames
{
    public const int MaxLength = 64;

    public static string OrDefault(string? name) => string.IsNullOrWhiteSpace(name) ? RetrievalDefaults.IndexName : name.Trim();

    /// <summary>Why <paramref name="name"/> cannot name a collection, or null when it can (null and blank can: the default).</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        name = name.Trim();
        if (string.Equals(name, RetrievalDefaults.AllIndexes, StringComparison.OrdinalIgnoreCase))
        {
            return $"index_name '{RetrievalDefaults.AllIndexes}' is reserved: it stands for every collection.";
        }

        if (name.Length > MaxLength)
        {
            return $"index_name must be at most {MaxLength} characters.";
        }

        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : "index_name may only hold letters, digits, '-', '_' and '.'.";
    }
}
