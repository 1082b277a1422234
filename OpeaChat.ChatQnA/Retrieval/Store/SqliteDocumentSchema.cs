using Microsoft.Data.Sqlite;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The SQLite store's tables, created idempotently. <c>chunks_fts</c> is an FTS5 index over <c>chunks</c> (external
/// content: the text is kept once), kept in step by triggers, so every write to <c>chunks</c> updates it in the same
/// transaction. Vectors are float32 BLOBs in <c>chunks</c>; search scans them in memory (<see cref="VectorIndexCache"/>).
/// </summary>
internal static class SqliteDocumentSchema
{
    /// <summary>Raised when the tables change; a database of a later version is refused rather than misread.</summary>
    public const int Version = 1;

    private const string CreateTables = """
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS documents (
            id TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            index_name TEXT NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            format TEXT,
            bytes INTEGER NOT NULL,
            pages INTEGER,
            characters INTEGER,
            chunks INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            ingested_at INTEGER,
            UNIQUE (index_name, name));
        CREATE INDEX IF NOT EXISTS documents_status ON documents (status);
        CREATE TABLE IF NOT EXISTS chunks (
            id INTEGER PRIMARY KEY,
            document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            chunk_index INTEGER NOT NULL,
            text TEXT NOT NULL,
            heading TEXT,
            page INTEGER,
            vector BLOB NOT NULL,
            UNIQUE (document_id, chunk_index));
        CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
            text, heading, content = 'chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab (chunks_fts, 'row');
        CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts (rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END;
        CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts (chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
        END;
        """;

    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        ForeignKeys = true,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>Creates the file's folder and tables, turns on the write-ahead log and checks the schema's version.</summary>
    public static async Task CreateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // The journal mode is kept in the file, so every later connection reads while another writes.
        await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, CreateTables, cancellationToken);
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT max(version) FROM schema_version;";
            var found = await read.ExecuteScalarAsync(cancellationToken);
            if (found is long version && version > Version)
            {
                throw new InvalidOperationException(
                    $"The document database has schema version {version}, newer than this gateway's {Version}: run the newer gateway.");
            }

            if (found is not long)
            {
                await ExecuteAsync(connection, transaction, $"INSERT INTO schema_version (version) VALUES ({Version});", cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Fails every document a restart left unfinished (one process owns the file: none of them is still running).</summary>
    public static async Task<int> FailInterruptedAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // Chunks are only written together with "searchable", so these have none; the DELETE is a guard, not a repair.
        command.CommandText = $"""
            DELETE FROM chunks WHERE document_id IN (SELECT id FROM documents WHERE status IN ({InProgressList}));
            UPDATE documents SET status = 'failed', error = $reason, chunks = 0 WHERE status IN ({InProgressList});
            """;
        command.Parameters.AddWithValue("$reason", DocumentStoreRules.InterruptedReason);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var changes = connection.CreateCommand();
        changes.Transaction = transaction;
        changes.CommandText = "SELECT changes();";
        var failed = Convert.ToInt32(await changes.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        await transaction.CommitAsync(cancellationToken);
        return failed;
    }

    private static string InProgressList => string.Join(", ", DocumentStoreRules.InProgressStatuses.Select(status => $"'{status}'"));

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
