using Npgsql;
using NpgsqlTypes;
using OpeaChat.Contracts.Dataprep;
using Pgvector;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The pgvector store's two searches: <c>websearch_to_tsquery</c> ranked by <c>ts_rank_cd</c>, and cosine distance
/// (<c>&lt;=&gt;</c>) on the index's dimension, through that dimension's HNSW index.
/// </summary>
internal sealed class PgvectorChunkSearch(NpgsqlDataSource dataSource)
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

        await using var command = dataSource.CreateCommand($"""
            SELECT {PgvectorRows.ChunkColumns}, ts_rank_cd(c.search, q)::float8 AS score
            FROM document_chunks c
            JOIN documents d ON d.id = c.document_id,
                websearch_to_tsquery('{PgvectorSchema.TextSearchConfiguration}', @query) q
            WHERE c.search @@ q AND d.index_name = @index AND d.status = '{DocumentStatuses.Searchable}'
            ORDER BY score DESC, c.id
            LIMIT @limit;
            """);
        command.Parameters.AddWithValue("query", FullTextQuery.ToWebSearch(words));
        command.Parameters.AddWithValue("index", indexName);
        command.Parameters.AddWithValue("limit", limit);
        return await PgvectorRows.ReadAllAsync(command, PgvectorRows.ReadScoredChunk, cancellationToken);
    }

    public async Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        limit = DocumentStoreRules.Limit(limit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var dimensions = await IndexDimensionsAsync(connection, indexName, cancellationToken);
        if (dimensions == 0 || limit == 0)
        {
            return [];
        }

        if (dimensions != vector.Length)
        {
            throw new VectorDimensionException(indexName, dimensions, vector.Length);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // HNSW returns ef_search candidates before the index filter; a larger list keeps `limit` hits for small indexes.
        await using (var tune = new NpgsqlCommand($"SET LOCAL hnsw.ef_search = {Math.Clamp(limit * 4, 40, 1000)};", connection, transaction))
        {
            await tune.ExecuteNonQueryAsync(cancellationToken);
        }

        // The cast to vector(N) and `dimensions = N` are what lets PostgreSQL use that dimension's partial HNSW index.
        await using var command = new NpgsqlCommand($"""
            SELECT {PgvectorRows.ChunkColumns}, 1 - (c.embedding::vector({dimensions}) <=> @vector) AS score
            FROM document_chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.dimensions = {dimensions} AND d.index_name = @index AND d.status = '{DocumentStatuses.Searchable}'
            ORDER BY c.embedding::vector({dimensions}) <=> @vector
            LIMIT @limit;
            """, connection, transaction);
        command.Parameters.AddWithValue("vector", new Vector(vector));
        command.Parameters.AddWithValue("index", indexName);
        command.Parameters.AddWithValue("limit", limit);
        var hits = await PgvectorRows.ReadAllAsync(command, PgvectorRows.ReadScoredChunk, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return hits;
    }

    /// <summary>The dimension of an index's vectors; 0 while it has none.</summary>
    public static async Task<int> IndexDimensionsAsync(NpgsqlConnection connection, string indexName, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT c.dimensions FROM document_chunks c JOIN documents d ON d.id = c.document_id WHERE d.index_name = @index LIMIT 1;
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("index", NpgsqlDbType.Text) { Value = indexName });
        return await command.ExecuteScalarAsync(cancellationToken) is int dimensions ? dimensions : 0;
    }
}
