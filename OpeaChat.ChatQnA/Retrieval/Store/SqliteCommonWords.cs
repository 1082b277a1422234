using Microsoft.Data.Sqlite;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// Leaves out of a full-text query the words found in more than half of all chunks ("the", "is", "what" in English
/// text). FTS5's BM25 already gives such a word no weight (its IDF is floored at 1e-6), so the ranking is the same;
/// but each one matches most rows, and every match is scored and sorted: at 100,000 chunks that made a query of five
/// words take over half a second. Document frequencies come from an <c>fts5vocab</c> view of the index.
/// </summary>
internal static class SqliteCommonWords
{
    /// <summary>Below this many chunks every query is fast enough: the words are searched exactly as given.</summary>
    public const int MinimumChunks = 1000;

    public static async Task<IReadOnlyList<string>> LeaveOutAsync(SqliteConnection connection, IReadOnlyList<string> words, CancellationToken cancellationToken)
    {
        await using var command = SqliteRows.Command(connection, null, string.Empty);
        var names = new string[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            names[i] = $"$w{i}";
            command.Parameters.AddWithValue(names[i], words[i]);
        }

        // Chunks exist only for searchable documents, so their sum is the FTS table's row count (without a scan).
        command.CommandText = $"""
            SELECT (SELECT coalesce(sum(chunks), 0) FROM documents WHERE status = '{DocumentStatuses.Searchable}');
            SELECT term, doc FROM chunks_vocab WHERE term IN ({string.Join(", ", names)});
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
        await reader.NextResultAsync(cancellationToken);
        var frequencies = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            frequencies[reader.GetString(0)] = reader.GetInt64(1);
        }

        if (rows < MinimumChunks)
        {
            return words;
        }

        var kept = words.Where(word => !frequencies.TryGetValue(word, out var documents) || documents * 2 <= rows).ToList();
        // When no other word matches anything, the common ones are searched after all (near-zero scores, but hits).
        return kept.Any(frequencies.ContainsKey) ? kept : words;
    }
}
