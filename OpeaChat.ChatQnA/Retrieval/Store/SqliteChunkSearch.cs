using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The SQLite store's two searches: FTS5 with <c>bm25()</c>, and exact cosine over the in-memory vectors of the index
/// (<see cref="VectorIndexCache"/>), whose hits are then read from <c>chunks</c>.
/// </summary>
internal sealed partial class SqliteChunkSearch(Func<CancellationToken, Task<SqliteConnection>> open, VectorIndexCache vectors, ILogger logger)
{
    public async Task<IReadOnlyList<ScoredChunk>> SearchTextAsync(string query, string indexName, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        var words = FullTextQuery.Words(query);
        limit = DocumentStoreRules.Limit(limit);
        if (words.Count == 0 || limit == 0)
        {
            return [];
        }

        await using var connection = await open(cancellationToken);
        words = await SqliteCommonWords.LeaveOutAsync(connection, words, cancellationToken);
        // bm25() is lower-is-better (a negative number); its negation is the score. Headings weigh half of the text.
        // The inner query ranks the matches reading only their keys; the outer one reads text and vectors of the best.
        await using var command = SqliteRows.Command(connection, null, $"""
            WITH best AS (
                SELECT chunks_fts.rowid AS id, bm25(chunks_fts, 1.0, 0.5) AS rank
                FROM chunks_fts
                JOIN chunks c ON c.id = chunks_fts.rowid
                JOIN documents d ON d.id = c.document_id
                WHERE chunks_fts MATCH $query AND d.index_name = $index AND d.status = '{DocumentStatuses.Searchable}'
                ORDER BY rank
                LIMIT $limit)
            SELECT {SqliteRows.ChunkColumns}, -best.rank AS score
            FROM best JOIN chunks c ON c.id = best.id JOIN documents d ON d.id = c.document_id
            ORDER BY best.rank;
            """);
        command.Parameters.AddWithValue("$query", FullTextQuery.ToFts5(words));
        command.Parameters.AddWithValue("$index", indexName);
        command.Parameters.AddWithValue("$limit", limit);
        var hits = new List<ScoredChunk>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            hits.Add(new ScoredChunk(SqliteRows.ReadChunk(reader).Chunk, reader.GetDouble(9)));
        }

        return hits;
    }

    public async Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        limit = DocumentStoreRules.Limit(limit);
        var snapshot = await vectors.GetAsync(indexName, token => LoadAsync(indexName, token), cancellationToken);
        if (snapshot.Count > 0 && vector.Length != snapshot.Dimensions)
        {
            throw new VectorDimensionException(indexName, snapshot.Dimensions, vector.Length);
        }

        var hits = snapshot.Nearest(vector.Span, limit);
        if (hits.Count == 0)
        {
            return [];
        }

        var chunks = await ReadChunksAsync(hits.Select(hit => hit.ChunkKey).ToArray(), cancellationToken);
        // A hit whose document was deleted after the snapshot was taken is not in the table any more: left out.
        return [.. hits.Where(hit => chunks.ContainsKey(hit.ChunkKey)).Select(hit => new ScoredChunk(chunks[hit.ChunkKey], hit.Score))];
    }

    /// <summary>Every vector of the searchable documents of one index, a segment per document.</summary>
    private async Task<VectorIndexSnapshot> LoadAsync(string indexName, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await open(cancellationToken);
        await using var command = SqliteRows.Command(connection, null, $"""
            SELECT c.document_id, c.id, c.vector
            FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE d.index_name = $index AND d.status = '{DocumentStatuses.Searchable}'
            ORDER BY c.document_id, c.chunk_index;
            """);
        command.Parameters.AddWithValue("$index", indexName);
        var segments = new List<VectorSegment>();
        string? current = null;
        var keys = new List<long>();
        var values = new List<float>();
        var dimensions = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var documentId = reader.GetString(0);
                if (documentId != current)
                {
                    AddSegment();
                    current = documentId;
                }

                var vector = SqliteRows.Floats((byte[])reader.GetValue(2));
                dimensions = vector.Length;
                keys.Add(reader.GetInt64(1));
                values.AddRange(vector);
            }
        }

        AddSegment();
        var snapshot = VectorIndexSnapshot.From(segments);
        LogLoaded(logger, indexName, snapshot.Count, snapshot.Dimensions, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return snapshot;

        void AddSegment()
        {
            if (current is not null && keys.Count > 0)
            {
                segments.Add(new VectorSegment(Guid.Parse(current), [.. keys], [.. values], dimensions));
            }

            keys.Clear();
            values.Clear();
        }
    }

    private async Task<Dictionary<long, StoredChunk>> ReadChunksAsync(long[] keys, CancellationToken cancellationToken)
    {
        await using var connection = await open(cancellationToken);
        await using var command = SqliteRows.Command(connection, null, string.Empty);
        var names = new string[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            names[i] = $"$k{i}";
            command.Parameters.AddWithValue(names[i], keys[i]);
        }

        command.CommandText = $"""
            SELECT {SqliteRows.ChunkColumns}
            FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.id IN ({string.Join(", ", names)}) AND d.status = '{DocumentStatuses.Searchable}';
            """;
        var chunks = new Dictionary<long, StoredChunk>(keys.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (key, chunk) = SqliteRows.ReadChunk(reader);
            chunks[key] = chunk;
        }

        return chunks;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} vectors of {Dimensions} dimensions of index {IndexName} into memory in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string indexName, int count, int dimensions, double milliseconds);
}
