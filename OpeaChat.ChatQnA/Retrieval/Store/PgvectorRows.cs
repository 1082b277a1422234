using Npgsql;
using Pgvector;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>How the pgvector store's rows are read back.</summary>
internal static class PgvectorRows
{
    public const string DocumentColumns =
        "id, name, type, index_name, status, error, format, bytes, pages, chunks, created_at, ingested_at";

    public const string ChunkColumns =
        "c.document_id, d.name, d.index_name, c.chunk_index, c.text, c.heading, c.page, c.embedding";

    public static StoredDocument ReadDocument(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        Name = reader.GetString(1),
        Type = reader.GetString(2),
        IndexName = reader.GetString(3),
        Status = reader.GetString(4),
        Error = reader.IsDBNull(5) ? null : reader.GetString(5),
        Format = reader.IsDBNull(6) ? null : reader.GetString(6),
        Bytes = reader.GetInt64(7),
        Pages = reader.IsDBNull(8) ? null : reader.GetInt32(8),
        Chunks = reader.GetInt32(9),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(10),
        IngestedAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
    };

    /// <summary>Reads <see cref="ChunkColumns"/> and the score after them.</summary>
    public static ScoredChunk ReadScoredChunk(NpgsqlDataReader reader)
    {
        var documentId = reader.GetGuid(0);
        var index = reader.GetInt32(3);
        var chunk = new StoredChunk
        {
            Id = DocumentStoreRules.ChunkId(documentId, index),
            DocumentId = documentId,
            DocumentName = reader.GetString(1),
            IndexName = reader.GetString(2),
            Index = index,
            Text = reader.GetString(4),
            Heading = reader.IsDBNull(5) ? null : reader.GetString(5),
            Page = reader.IsDBNull(6) ? null : reader.GetInt32(6),
            Vector = reader.GetFieldValue<Vector>(7).ToArray(),
        };
        return new ScoredChunk(chunk, reader.GetDouble(8));
    }

    public static async Task<IReadOnlyList<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public static object Nullable<T>(T? value) where T : struct => value.HasValue ? value.Value : DBNull.Value;

    public static object Nullable(string? value) => value is null ? DBNull.Value : value;
}
