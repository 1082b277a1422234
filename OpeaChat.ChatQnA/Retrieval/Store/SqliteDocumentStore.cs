using Microsoft.Data.Sqlite;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The embedded document store: one SQLite file (<c>documents.db</c>, write-ahead log), chunks, vectors and an FTS5 index; searches
/// run over an in-memory snapshot per index (BM25 as FTS5 scores it, exact cosine). One gateway process owns the file.
/// </summary>
public sealed partial class SqliteDocumentStore : IDocumentStore, IDisposable
{
    private readonly string _databasePath;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SearchIndexCache _indexes = new();
    private readonly SqliteChunkSearch _search;

    public SqliteDocumentStore(string databasePath, TimeProvider time, ILogger<SqliteDocumentStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _databasePath = Path.GetFullPath(databasePath);
        _connectionString = SqliteDocumentSchema.ConnectionString(_databasePath);
        _time = time;
        _logger = logger;
        _search = new SqliteChunkSearch(OpenAsync, _indexes, _logger);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_databasePath)!);
        await using var connection = await OpenAsync(cancellationToken);
        await SqliteDocumentSchema.CreateAsync(connection, cancellationToken);
        var failed = await SqliteDocumentSchema.FailInterruptedAsync(connection, cancellationToken);
        LogReady(_logger, _databasePath, failed);
    }

    public async Task<StoredDocument> AddAsync(NewDocument document, CancellationToken cancellationToken)
    {
        DocumentStoreRules.CheckNew(document);
        var stored = new StoredDocument
        {
            Id = Guid.NewGuid(),
            Name = document.Name,
            Type = document.Type,
            IndexName = document.IndexName,
            Status = DocumentStatuses.Queued,
            Format = document.Format,
            Bytes = document.Bytes,
            // Milliseconds, as the database keeps it, so that what is returned equals what is read back.
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(SqliteRows.Time(_time.GetUtcNow())),
        };

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = SqliteRows.Command(connection, transaction, $"""
            DELETE FROM documents WHERE index_name = $index AND name = $name AND status = '{DocumentStatuses.Failed}';
            INSERT INTO documents (id, name, type, index_name, status, format, bytes, created_at)
            VALUES ($id, $name, $type, $index, $status, $format, $bytes, $created);
            """);
        command.Parameters.AddWithValue("$id", SqliteRows.Key(stored.Id));
        command.Parameters.AddWithValue("$name", stored.Name);
        command.Parameters.AddWithValue("$type", stored.Type);
        command.Parameters.AddWithValue("$index", stored.IndexName);
        command.Parameters.AddWithValue("$status", stored.Status);
        command.Parameters.AddWithValue("$format", SqliteRows.Nullable(stored.Format));
        command.Parameters.AddWithValue("$bytes", stored.Bytes);
        command.Parameters.AddWithValue("$created", SqliteRows.Time(stored.CreatedAt));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException exception) when (exception.SqliteErrorCode == 19)
        {
            // SQLITE_CONSTRAINT: UNIQUE (index_name, name) with a document that did not fail.
            throw new DocumentExistsException(document.Name, document.IndexName);
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<bool> SetStatusAsync(Guid documentId, string status, string? error, DocumentFacts? facts, CancellationToken cancellationToken)
    {
        DocumentStoreRules.CheckStatusChange(status);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var current = await SqliteDocumentQueries.ReadStatusAsync(connection, transaction, documentId, cancellationToken);
        if (current is null)
        {
            return false;
        }

        DocumentStoreRules.CheckCanChange(documentId, current.Value.Status);
        await using var command = SqliteRows.Command(connection, transaction, """
            UPDATE documents SET status = $status, error = $error,
                format = coalesce($format, format), pages = coalesce($pages, pages), characters = coalesce($characters, characters)
            WHERE id = $id;
            """);
        command.Parameters.AddWithValue("$id", SqliteRows.Key(documentId));
        command.Parameters.AddWithValue("$status", status);
        command.Parameters.AddWithValue("$error", SqliteRows.Nullable(error));
        command.Parameters.AddWithValue("$format", SqliteRows.Nullable(facts?.Format));
        command.Parameters.AddWithValue("$pages", SqliteRows.Nullable(facts?.Pages));
        command.Parameters.AddWithValue("$characters", SqliteRows.Nullable(facts?.Characters));
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> CompleteAsync(Guid documentId, IReadOnlyList<NewChunk> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var current = await SqliteDocumentQueries.ReadStatusAsync(connection, transaction, documentId, cancellationToken);
        if (current is not { } document)
        {
            return false;
        }

        DocumentStoreRules.CheckCanComplete(documentId, document.Status);
        var dimensions = DocumentStoreRules.CheckChunks(document.IndexName, chunks);
        var existing = await SqliteDocumentQueries.IndexDimensionsAsync(connection, transaction, document.IndexName, cancellationToken);
        if (chunks.Count > 0 && existing > 0 && existing != dimensions)
        {
            throw new VectorDimensionException(document.IndexName, existing, dimensions);
        }

        var keys = new long[chunks.Count];
        var matrix = new float[chunks.Count * dimensions];
        await using (var insert = SqliteRows.Command(connection, transaction, """
            INSERT INTO chunks (document_id, chunk_index, text, heading, page, vector)
            VALUES ($document, $index, $text, $heading, $page, $vector) RETURNING id;
            """))
        {
            var documentKey = insert.Parameters.AddWithValue("$document", SqliteRows.Key(documentId));
            var index = insert.Parameters.Add("$index", SqliteType.Integer);
            var text = insert.Parameters.Add("$text", SqliteType.Text);
            var heading = insert.Parameters.Add("$heading", SqliteType.Text);
            var page = insert.Parameters.Add("$page", SqliteType.Integer);
            var vector = insert.Parameters.Add("$vector", SqliteType.Blob);
            for (var i = 0; i < chunks.Count; i++)
            {
                var chunk = chunks[i];
                index.Value = chunk.Index;
                text.Value = chunk.Text;
                heading.Value = SqliteRows.Nullable(chunk.Heading);
                page.Value = SqliteRows.Nullable(chunk.Page);
                vector.Value = SqliteRows.Blob(chunk.Vector);
                keys[i] = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
                chunk.Vector.CopyTo(matrix, i * dimensions);
            }
        }

        await using (var finish = SqliteRows.Command(connection, transaction, $"""
            UPDATE documents SET status = '{DocumentStatuses.Searchable}', error = NULL, chunks = $chunks, ingested_at = $now
            WHERE id = $id;
            """))
        {
            finish.Parameters.AddWithValue("$id", SqliteRows.Key(documentId));
            finish.Parameters.AddWithValue("$chunks", chunks.Count);
            finish.Parameters.AddWithValue("$now", SqliteRows.Time(_time.GetUtcNow()));
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (chunks.Count > 0)
        {
            var vectors = new VectorSegment(documentId, keys, matrix, dimensions);
            var words = TextSegmentBuilder.Build(documentId, keys, chunks);
            await _indexes.UpdateAsync(document.IndexName, snapshot => snapshot.With(vectors, words));
        }

        LogCompleted(_logger, documentId, document.IndexName, chunks.Count);
        return true;
    }

    public async Task<IReadOnlyList<StoredDocument>> ListAsync(string? indexName, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = SqliteRows.Command(connection, null, $"""
            SELECT {SqliteRows.DocumentColumns} FROM documents
            WHERE $index IS NULL OR index_name = $index
            ORDER BY created_at, rowid;
            """);
        command.Parameters.AddWithValue("$index", SqliteRows.Nullable(indexName));
        return await SqliteDocumentQueries.ReadDocumentsAsync(command, cancellationToken);
    }

    public async Task<StoredDocument?> FindAsync(Guid documentId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = SqliteRows.Command(connection, null, $"SELECT {SqliteRows.DocumentColumns} FROM documents WHERE id = $id;");
        command.Parameters.AddWithValue("$id", SqliteRows.Key(documentId));
        return (await SqliteDocumentQueries.ReadDocumentsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(string idOrName, string? indexName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrName);
        // By id when it is one that exists; otherwise by name (a file may well be called like a GUID).
        var byId = Guid.TryParse(idOrName, out var id) ? SqliteRows.Key(id) : null;
        return await DeleteWhereAsync(
            "(id = $id) OR ((SELECT count(*) FROM documents WHERE id = $id) = 0 AND name = $name AND ($index IS NULL OR index_name = $index))",
            command =>
            {
                command.Parameters.AddWithValue("$id", SqliteRows.Nullable(byId));
                command.Parameters.AddWithValue("$name", idOrName);
                command.Parameters.AddWithValue("$index", SqliteRows.Nullable(indexName));
            },
            cancellationToken) > 0;
    }

    public Task<int> DeleteAllAsync(string? indexName, CancellationToken cancellationToken) =>
        DeleteWhereAsync(
            "$index IS NULL OR index_name = $index",
            command => command.Parameters.AddWithValue("$index", SqliteRows.Nullable(indexName)),
            cancellationToken);

    public async Task<CollectionMove> MoveAllAsync(string fromIndex, string toIndex, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fromIndex);
        ArgumentException.ThrowIfNullOrWhiteSpace(toIndex);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var clashes = new List<string>();
        await using (var select = SqliteRows.Command(connection, transaction,
            "SELECT name FROM documents WHERE index_name = $from AND name IN (SELECT name FROM documents WHERE index_name = $to) ORDER BY name;"))
        {
            select.Parameters.AddWithValue("$from", fromIndex);
            select.Parameters.AddWithValue("$to", toIndex);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                clashes.Add(reader.GetString(0));
            }
        }

        int unfinished;
        await using (var count = SqliteRows.Command(connection, transaction,
            $"SELECT count(*) FROM documents WHERE index_name = $from AND status NOT IN ('{DocumentStatuses.Searchable}', '{DocumentStatuses.Failed}');"))
        {
            count.Parameters.AddWithValue("$from", fromIndex);
            unfinished = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (clashes.Count > 0 || unfinished > 0)
        {
            return new CollectionMove(0, clashes, unfinished);
        }

        int moved;
        await using (var update = SqliteRows.Command(connection, transaction, "UPDATE documents SET index_name = $to WHERE index_name = $from;"))
        {
            update.Parameters.AddWithValue("$from", fromIndex);
            update.Parameters.AddWithValue("$to", toIndex);
            moved = await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await _indexes.ForgetAsync(fromIndex, toIndex);
        LogMoved(_logger, moved);
        return new CollectionMove(moved, [], 0);
    }

    public Task<IReadOnlyList<ScoredChunk>> SearchTextAsync(string query, string indexName, int limit, CancellationToken cancellationToken) =>
        _search.SearchTextAsync(query, indexName, limit, cancellationToken);

    public Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken) =>
        _search.SearchVectorAsync(vector, indexName, limit, cancellationToken);

    public Task<int> WarmAsync(string indexName, CancellationToken cancellationToken) => _search.WarmAsync(indexName, cancellationToken);

    public async Task<int> CountChunksAsync(string indexName, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = SqliteRows.Command(connection, null,
            $"SELECT coalesce(sum(chunks), 0) FROM documents WHERE index_name = $index AND status = '{DocumentStatuses.Searchable}';");
        command.Parameters.AddWithValue("$index", indexName);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _indexes.Dispose();

    private async Task<int> DeleteWhereAsync(string where, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var deleted = new List<(Guid DocumentId, string IndexName)>();
        await using (var select = SqliteRows.Command(connection, transaction, $"SELECT id, index_name FROM documents WHERE {where};"))
        {
            bind(select);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                deleted.Add((Guid.Parse(reader.GetString(0)), reader.GetString(1)));
            }
        }

        if (deleted.Count == 0)
        {
            return 0;
        }

        // Chunks first, row by row, so that the FTS trigger removes each one's terms (the cascade would too; explicit is clearer).
        await using (var delete = SqliteRows.Command(connection, transaction,
            "DELETE FROM chunks WHERE document_id = $id; DELETE FROM documents WHERE id = $id;"))
        {
            var id = delete.Parameters.Add("$id", SqliteType.Text);
            foreach (var (documentId, _) in deleted)
            {
                id.Value = SqliteRows.Key(documentId);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        await _indexes.RemoveAsync(deleted);
        LogDeleted(_logger, deleted.Count);
        return deleted.Count;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // With the write-ahead log, NORMAL loses no committed transaction on a crash of the process (only of the OS).
            await using var pragma = SqliteRows.Command(connection, null, "PRAGMA synchronous = NORMAL;");
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Document store ready: {Database}; {Failed} interrupted documents marked failed")]
    private static partial void LogReady(ILogger logger, string database, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {DocumentId} of index {IndexName} is searchable: {Chunks} chunks")]
    private static partial void LogCompleted(ILogger logger, Guid documentId, string indexName, int chunks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} documents with their chunks and vectors")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved {Count} documents to another collection")]
    private static partial void LogMoved(ILogger logger, int count);
}
