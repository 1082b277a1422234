using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>How the SQLite store's rows and values are written and read back.</summary>
internal static class SqliteRows
{
    public const string DocumentColumns =
        "id, name, type, index_name, status, error, format, bytes, pages, chunks, created_at, ingested_at";

    public const string ChunkColumns =
        "c.id, c.document_id, d.name, d.index_name, c.chunk_index, c.text, c.heading, c.page, c.vector";

    public static string Key(Guid id) => id.ToString("D");

    public static long Time(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static byte[] Blob(float[] vector) => MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();

    public static float[] Floats(byte[] blob) => MemoryMarshal.Cast<byte, float>(blob).ToArray();

    public static StoredDocument ReadDocument(SqliteDataReader reader) => new()
    {
        Id = Guid.Parse(reader.GetString(0)),
        Name = reader.GetString(1),
        Type = reader.GetString(2),
        IndexName = reader.GetString(3),
        Status = reader.GetString(4),
        Error = reader.IsDBNull(5) ? null : reader.GetString(5),
        Format = reader.IsDBNull(6) ? null : reader.GetString(6),
        Bytes = reader.GetInt64(7),
        Pages = reader.IsDBNull(8) ? null : reader.GetInt32(8),
        Chunks = reader.GetInt32(9),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)),
        IngestedAt = reader.IsDBNull(11) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)),
    };

    /// <summary>Reads <see cref="ChunkColumns"/>: the chunk's own key, then the chunk.</summary>
    public static (long Key, StoredChunk Chunk) ReadChunk(SqliteDataReader reader)
    {
        var documentId = Guid.Parse(reader.GetString(1));
        var index = reader.GetInt32(4);
        return (reader.GetInt64(0), new StoredChunk
        {
            Id = DocumentStoreRules.ChunkId(documentId, index),
            DocumentId = documentId,
            DocumentName = reader.GetString(2),
            IndexName = reader.GetString(3),
            Index = index,
            Text = reader.GetString(5),
            Heading = reader.IsDBNull(6) ? null : reader.GetString(6),
            Page = reader.IsDBNull(7) ? null : reader.GetInt32(7),
            Vector = Floats((byte[])reader.GetValue(8)),
        });
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static object Nullable<T>(T? value) where T : struct => value.HasValue ? value.Value : DBNull.Value;

    public static object Nullable(string? value) => value is null ? DBNull.Value : value;
}
