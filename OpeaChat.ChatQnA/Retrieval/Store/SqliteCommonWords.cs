namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// Leaves out of a full-text query the words found in more than half of all chunks of the index ("the", "is",
/// "what" in English text). BM25 already gives such a word no weight (FTS5's IDF is floored at 1e-6), so the order
/// of the chunks that match other words is the same; but each one matches most rows, and those would fill the tail
/// of the ranking with chunks that share nothing but "the" with the question (and reach the fusion with a rank).
/// </summary>
internal static class SqliteCommonWords
{
    /// <summary>Below this many chunks every word is searched exactly as given.</summary>
    public const int MinimumChunks = 1000;

    /// <summary>Which terms to search, given how many rows hold each (<paramref name="hits"/>) of <paramref name="rows"/>.</summary>
    public static bool[] Keep(IReadOnlyList<long> hits, int rows)
    {
        var keep = new bool[hits.Count];
        var anyKeptMatches = false;
        for (var i = 0; i < keep.Length; i++)
        {
            keep[i] = rows < MinimumChunks || hits[i] * 2 <= rows;
            anyKeptMatches |= keep[i] && hits[i] > 0;
        }

        // When no other word matches anything, the common ones are searched after all (near-zero scores, but hits).
        if (!anyKeptMatches)
        {
            Array.Fill(keep, true);
        }

        return keep;
    }
}
