using Microsoft.Data.Sqlite;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>The reads <see cref="SqliteDocumentStore"/> makes inside its transactions and for its listings.</summary>
internal static class SqliteDocumentQueries
{
    public static async Task<(string Status, string IndexName)?> ReadStatusAsync(
        SqliteConnection connection, SqliteTransaction transaction, Guid documentId, CancellationToken cancellationToken)
    {
        await using var command = SqliteRows.Command(connection, transaction, "SELECT status, index_name FROM documents WHERE id = $id;");
        command.Parameters.AddWithValue("$id", SqliteRows.Key(documentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    public static async Task<int> IndexDimensionsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string indexName, CancellationToken cancellationToken)
    {
        await using var command = SqliteRows.Command(connection, transaction, """
            SELECT length(c.vector) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.index_name = $index LIMIT 1;
            """);
        command.Parameters.AddWithValue("$index", indexName);
        return await command.ExecuteScalarAsync(cancellationToken) is long bytes ? (int)(bytes / sizeof(float)) : 0;
    }

    public static async Task<IReadOnlyList<StoredDocument>> ReadDocumentsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var documents = new List<StoredDocument>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            documents.Add(SqliteRows.ReadDocument(reader));
        }

        return documents;
    }
}
