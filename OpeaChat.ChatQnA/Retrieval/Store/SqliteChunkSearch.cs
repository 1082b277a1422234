using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The SQLite store's two searches, both over the index's in-memory snapshot (<see cref="SearchIndexCache"/>): BM25
/// as FTS5's <c>bm25()</c> scores it, and exact cosine; the hits are then read from <c>chunks</c>. FTS5 itself took
/// 100-500 ms a query at 100,000 chunks (it scores and sorts every row that matches any word); this takes about 1 ms.
/// </summary>
internal sealed partial class SqliteChunkSearch(Func<CancellationToken, Task<SqliteConnection>> open, SearchIndexCache cache, ILogger logger)
{
    public async Task<IReadOnlyList<ScoredChunk>> SearchTextAsync(string query, string indexName, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        var terms = Terms(query);
        limit = DocumentStoreRules.Limit(limit);
        if (terms.Count == 0 || limit == 0)
        {
            return [];
        }

        var snapshot = await cache.GetAsync(indexName, token => LoadAsync(indexName, token), cancellationToken);
        var hits = snapshot.Text.Search(terms, limit);
        return await ReadAsync(hits.Select(hit => (hit.ChunkKey, hit.Score)).ToList(), cancellationToken);
    }

    public async Task<int> WarmAsync(string indexName, CancellationToken cancellationToken) =>
        (await cache.GetAsync(indexName, token => LoadAsync(indexName, token), cancellationToken)).Vectors.Count;

    public async Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        limit = DocumentStoreRules.Limit(limit);
        var snapshot = (await cache.GetAsync(indexName, token => LoadAsync(indexName, token), cancellationToken)).Vectors;
        if (snapshot.Count > 0 && vector.Length != snapshot.Dimensions)
        {
            throw new VectorDimensionException(indexName, snapshot.Dimensions, vector.Length);
        }

        var hits = snapshot.Nearest(vector.Span, limit);
        return await ReadAsync(hits.Select(hit => (hit.ChunkKey, (double)hit.Score)).ToList(), cancellationToken);
    }

    /// <summary>
    /// The query's FTS5 phrases: its words (<see cref="FullTextQuery.Words"/>, as the FTS5 query was written),
    /// each tokenized as the index is; a word that is several tokens counts as several terms rather than a phrase.
    /// </summary>
    private static List<string> Terms(string query) =>
        FullTextQuery.Words(query).SelectMany(FullTextTokenizer.Tokens).ToList();

    /// <summary>Every vector and text of the searchable documents of one index: a vector segment per document, one text segment.</summary>
    private async Task<SearchIndexSnapshot> LoadAsync(string indexName, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await open(cancellationToken);
        await using var command = SqliteRows.Command(connection, null, $"""
            SELECT c.document_id, c.id, c.vector, c.text, c.heading
            FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE d.index_name = $index AND d.status = '{DocumentStatuses.Searchable}'
            ORDER BY c.document_id, c.chunk_index;
            """);
        command.Parameters.AddWithValue("$index", indexName);
        var segments = new List<VectorSegment>();
        var text = new TextSegmentBuilder();
        Guid current = default;
        var keys = new List<long>();
        var values = new List<float>();
        var dimensions = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var documentId = Guid.Parse(reader.GetString(0));
                if (documentId != current)
                {
                    AddSegment();
                    current = documentId;
                }

                var vector = SqliteRows.Floats((byte[])reader.GetValue(2));
                dimensions = vector.Length;
                var key = reader.GetInt64(1);
                keys.Add(key);
                values.AddRange(vector);
                text.AddRow(key, documentId, reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
            }
        }

        AddSegment();
        var snapshot = new SearchIndexSnapshot(VectorIndexSnapshot.From(segments), TextIndexSnapshot.From(text.Build()));
        LogLoaded(logger, indexName, snapshot.Vectors.Count, snapshot.Vectors.Dimensions, snapshot.Text.EstimatedBytes() / 1048576.0,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return snapshot;

        void AddSegment()
        {
            if (current != default && keys.Count > 0)
            {
                segments.Add(new VectorSegment(current, [.. keys], [.. values], dimensions));
            }

            keys.Clear();
            values.Clear();
        }
    }

    /// <summary>The hits' chunks, in the hits' order. A hit whose document was deleted after the snapshot was taken is not in the table any more: left out.</summary>
    private async Task<IReadOnlyList<ScoredChunk>> ReadAsync(IReadOnlyList<(long ChunkKey, double Score)> hits, CancellationToken cancellationToken)
    {
        if (hits.Count == 0)
        {
            return [];
        }

        await using var connection = await open(cancellationToken);
        await using var command = SqliteRows.Command(connection, null, string.Empty);
        var names = new string[hits.Count];
        for (var i = 0; i < hits.Count; i++)
        {
            names[i] = $"$k{i}";
            command.Parameters.AddWithValue(names[i], hits[i].ChunkKey);
        }

        // CROSS JOIN keeps chunks the outer loop, read by rowid: with a plain JOIN the planner started from the
        // documents' status index and scanned every chunk of the searchable ones (25 ms at 100,000 chunks).
        command.CommandText = $"""
            SELECT {SqliteRows.ChunkColumns}
            FROM chunks c CROSS JOIN documents d ON d.id = c.document_id
            WHERE c.id IN ({string.Join(", ", names)}) AND d.status = '{DocumentStatuses.Searchable}';
            """;
        var chunks = new Dictionary<long, StoredChunk>(hits.Count);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (key, chunk) = SqliteRows.ReadChunk(reader);
                chunks[key] = chunk;
            }
        }

        return [.. hits.Where(hit => chunks.ContainsKey(hit.ChunkKey)).Select(hit => new ScoredChunk(chunks[hit.ChunkKey], hit.Score))];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} vectors of {Dimensions} dimensions and a full-text index of about {TextMegabytes:F0} MiB of index {IndexName} into memory in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string indexName, int count, int dimensions, double textMegabytes, double milliseconds);
}
