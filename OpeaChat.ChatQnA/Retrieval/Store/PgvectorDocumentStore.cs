using Npgsql;
using OpeaChat.Contracts.Dataprep;
using Pgvector;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The scale-out document store: PostgreSQL with pgvector, shared by every gateway replica. The same guarantees as
/// the SQLite store, from PostgreSQL's transactions: a document's chunks appear together with its searchable status.
/// </summary>
public sealed partial class PgvectorDocumentStore : IDocumentStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly TimeSpan _abandonedAfter;
    private readonly ILogger _logger;
    private readonly PgvectorChunkSearch _search;

    /// <summary>Marks the documents this host ingests, so that its restart fails only its own unfinished ones.</summary>
    private readonly string _owner = Environment.MachineName;

    private const int InsertBatchSize = 256;

    public PgvectorDocumentStore(NpgsqlDataSource dataSource, TimeSpan abandonedAfter, TimeProvider time, ILogger<PgvectorDocumentStore> logger)
    {
        _dataSource = dataSource;
        _abandonedAfter = abandonedAfter;
        _time = time;
        _logger = logger;
        _search = new PgvectorChunkSearch(dataSource);
    }

    /// <summary>A store on its own data source, with pgvector's types mapped.</summary>
    public static PgvectorDocumentStore Create(DocumentStorageOptions options, TimeProvider time, ILogger<PgvectorDocumentStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        builder.UseVector();
        return new PgvectorDocumentStore(builder.Build(), options.IngestionAbandonedAfter, time, logger);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await PgvectorSchema.CreateAsync(_dataSource, cancellationToken);
        var failed = await PgvectorSchema.FailInterruptedAsync(_dataSource, _owner, _time.GetUtcNow(), _abandonedAfter, cancellationToken);
        var settings = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
        LogReady(_logger, settings.Host ?? "(no host)", settings.Database ?? "(default database)", failed);
    }

    public async Task<StoredDocument> AddAsync(NewDocument document, CancellationToken cancellationToken)
    {
        DocumentStoreRules.CheckNew(document);
        var now = Now();
        var stored = new StoredDocument
        {
            Id = Guid.NewGuid(),
            Name = document.Name,
            Type = document.Type,
            IndexName = document.IndexName,
            Status = DocumentStatuses.Queued,
            Format = document.Format,
            Bytes = document.Bytes,
            CreatedAt = now,
        };

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            DELETE FROM documents WHERE index_name = @index AND name = @name AND status = '{DocumentStatuses.Failed}';
            INSERT INTO documents (id, name, type, index_name, status, format, bytes, created_at, updated_at, owner)
            VALUES (@id, @name, @type, @index, @status, @format, @bytes, @now, @now, @owner);
            """, connection, transaction);
        command.Parameters.AddWithValue("id", stored.Id);
        command.Parameters.AddWithValue("name", stored.Name);
        command.Parameters.AddWithValue("type", stored.Type);
        command.Parameters.AddWithValue("index", stored.IndexName);
        command.Parameters.AddWithValue("status", stored.Status);
        command.Parameters.AddWithValue("format", PgvectorRows.Nullable(stored.Format));
        command.Parameters.AddWithValue("bytes", stored.Bytes);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("owner", _owner);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DocumentExistsException(document.Name, document.IndexName);
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<bool> SetStatusAsync(Guid documentId, string status, string? error, DocumentFacts? facts, CancellationToken cancellationToken)
    {
        DocumentStoreRules.CheckStatusChange(status);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockDocumentAsync(connection, documentId, cancellationToken) is not { } current)
        {
            return false;
        }

        DocumentStoreRules.CheckCanChange(documentId, current.Status);
        await using var command = new NpgsqlCommand("""
            UPDATE documents SET status = @status, error = @error, updated_at = @now, owner = @owner,
                format = coalesce(@format, format), pages = coalesce(@pages, pages), characters = coalesce(@characters, characters)
            WHERE id = @id;
            """, connection, transaction);
        command.Parameters.AddWithValue("id", documentId);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("error", PgvectorRows.Nullable(error));
        command.Parameters.AddWithValue("now", Now());
        command.Parameters.AddWithValue("owner", _owner);
        command.Parameters.Add(new NpgsqlParameter<string?>("format", facts?.Format) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int?>("pages", facts?.Pages) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<long?>("characters", facts?.Characters) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> CompleteAsync(Guid documentId, IReadOnlyList<NewChunk> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockDocumentAsync(connection, documentId, cancellationToken) is not { } document)
        {
            return false;
        }

        DocumentStoreRules.CheckCanComplete(documentId, document.Status);
        var dimensions = DocumentStoreRules.CheckChunks(document.IndexName, chunks);
        // One writer per index at a time, so that two documents of different dimensions cannot both be first.
        await using (var lockIndex = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('opeachat-documents:' || @index, 0));", connection, transaction))
        {
            lockIndex.Parameters.AddWithValue("index", document.IndexName);
            await lockIndex.ExecuteNonQueryAsync(cancellationToken);
        }

        var existing = await PgvectorChunkSearch.IndexDimensionsAsync(connection, document.IndexName, cancellationToken);
        if (chunks.Count > 0 && existing > 0 && existing != dimensions)
        {
            throw new VectorDimensionException(document.IndexName, existing, dimensions);
        }

        if (chunks.Count > 0)
        {
            await PgvectorSchema.EnsureVectorIndexAsync(connection, dimensions, cancellationToken);
            await InsertChunksAsync(connection, documentId, chunks, dimensions, cancellationToken);
        }

        await using (var finish = new NpgsqlCommand($"""
            UPDATE documents SET status = '{DocumentStatuses.Searchable}', error = NULL, chunks = @chunks, ingested_at = @now, updated_at = @now
            WHERE id = @id;
            """, connection, transaction))
        {
            finish.Parameters.AddWithValue("id", documentId);
            finish.Parameters.AddWithValue("chunks", chunks.Count);
            finish.Parameters.AddWithValue("now", Now());
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogCompleted(_logger, documentId, document.IndexName, chunks.Count);
        return true;
    }

    public async Task<IReadOnlyList<StoredDocument>> ListAsync(string? indexName, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT {PgvectorRows.DocumentColumns} FROM documents WHERE @index::text IS NULL OR index_name = @index ORDER BY created_at, seq;");
        command.Parameters.Add(new NpgsqlParameter<string?>("index", indexName) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await PgvectorRows.ReadAllAsync(command, PgvectorRows.ReadDocument, cancellationToken);
    }

    public async Task<StoredDocument?> FindAsync(Guid documentId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {PgvectorRows.DocumentColumns} FROM documents WHERE id = @id;");
        command.Parameters.AddWithValue("id", documentId);
        return (await PgvectorRows.ReadAllAsync(command, PgvectorRows.ReadDocument, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(string idOrName, string? indexName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrName);
        // By id when it is one that exists; otherwise by name (a file may well be called like a GUID).
        await using var command = _dataSource.CreateCommand("""
            DELETE FROM documents
            WHERE id = @id OR (NOT EXISTS (SELECT 1 FROM documents WHERE id = @id) AND name = @name AND (@index::text IS NULL OR index_name = @index));
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("id", Guid.TryParse(idOrName, out var id) ? id : null) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("name", idOrName);
        command.Parameters.Add(new NpgsqlParameter<string?>("index", indexName) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        // Chunks, their full text and their vectors go with the row (ON DELETE CASCADE), in the same statement.
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        LogDeleted(_logger, deleted);
        return deleted > 0;
    }

    public async Task<int> DeleteAllAsync(string? indexName, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM documents WHERE @index::text IS NULL OR index_name = @index;");
        command.Parameters.Add(new NpgsqlParameter<string?>("index", indexName) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        LogDeleted(_logger, deleted);
        return deleted;
    }

    public async Task<CollectionMove> MoveAllAsync(string fromIndex, string toIndex, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fromIndex);
        ArgumentException.ThrowIfNullOrWhiteSpace(toIndex);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The source's rows locked first, so that no ingestion finishes or starts a delete between the checks and the move.
        await using (var lockRows = new NpgsqlCommand("SELECT id FROM documents WHERE index_name = @from FOR UPDATE;", connection, transaction))
        {
            lockRows.Parameters.AddWithValue("from", fromIndex);
            await lockRows.ExecuteNonQueryAsync(cancellationToken);
        }

        var clashes = new List<string>();
        await using (var select = new NpgsqlCommand(
            "SELECT name FROM documents WHERE index_name = @from AND name IN (SELECT name FROM documents WHERE index_name = @to) ORDER BY name;", connection, transaction))
        {
            select.Parameters.AddWithValue("from", fromIndex);
            select.Parameters.AddWithValue("to", toIndex);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                clashes.Add(reader.GetString(0));
            }
        }

        int unfinished;
        await using (var count = new NpgsqlCommand(
            $"SELECT count(*)::int FROM documents WHERE index_name = @from AND status NOT IN ('{DocumentStatuses.Searchable}', '{DocumentStatuses.Failed}');", connection, transaction))
        {
            count.Parameters.AddWithValue("from", fromIndex);
            unfinished = (int)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        if (clashes.Count > 0 || unfinished > 0)
        {
            return new CollectionMove(0, clashes, unfinished);
        }

        int moved;
        await using (var update = new NpgsqlCommand("UPDATE documents SET index_name = @to WHERE index_name = @from;", connection, transaction))
        {
            update.Parameters.AddWithValue("from", fromIndex);
            update.Parameters.AddWithValue("to", toIndex);
            moved = await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogMoved(_logger, moved);
        return new CollectionMove(moved, [], 0);
    }

    public Task<IReadOnlyList<ScoredChunk>> SearchTextAsync(string query, string indexName, int limit, CancellationToken cancellationToken) =>
        _search.SearchTextAsync(query, indexName, limit, cancellationToken);

    public Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken) =>
        _search.SearchVectorAsync(vector, indexName, limit, cancellationToken);

    public async Task<int> CountChunksAsync(string indexName, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT coalesce(sum(chunks), 0)::int FROM documents WHERE index_name = @index AND status = '{DocumentStatuses.Searchable}';");
        command.Parameters.AddWithValue("index", indexName);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Now, to the millisecond (what both stores keep), so that what is returned equals what is read back.</summary>
    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    private static async Task<(string Status, string IndexName)?> LockDocumentAsync(NpgsqlConnection connection, Guid documentId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT status, index_name FROM documents WHERE id = @id FOR UPDATE;", connection);
        command.Parameters.AddWithValue("id", documentId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    private static async Task InsertChunksAsync(
        NpgsqlConnection connection, Guid documentId, IReadOnlyList<NewChunk> chunks, int dimensions, CancellationToken cancellationToken)
    {
        // Batches of INSERTs, each one round trip. (COPY would be faster on a real server, but PGlite's socket server,
        // which the tests run on, does not speak COPY.)
        foreach (var slice in chunks.Chunk(InsertBatchSize))
        {
            await using var batch = new NpgsqlBatch(connection);
            foreach (var chunk in slice)
            {
                var insert = new NpgsqlBatchCommand("""
                    INSERT INTO document_chunks (document_id, chunk_index, text, heading, page, dimensions, embedding)
                    VALUES (@document, @index, @text, @heading, @page, @dimensions, @embedding);
                    """);
                insert.Parameters.AddWithValue("document", documentId);
                insert.Parameters.AddWithValue("index", chunk.Index);
                insert.Parameters.AddWithValue("text", chunk.Text);
                insert.Parameters.Add(new NpgsqlParameter<string?>("heading", chunk.Heading) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter<int?>("page", chunk.Page) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
                insert.Parameters.AddWithValue("dimensions", dimensions);
                insert.Parameters.AddWithValue("embedding", new Vector(chunk.Vector));
                batch.BatchCommands.Add(insert);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Document store ready: PostgreSQL {Host}/{Database} with pgvector; {Failed} interrupted documents marked failed")]
    private static partial void LogReady(ILogger logger, string host, string database, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {DocumentId} of index {IndexName} is searchable: {Chunks} chunks")]
    private static partial void LogCompleted(ILogger logger, Guid documentId, string indexName, int chunks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} documents with their chunks and vectors")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved {Count} documents to another collection")]
    private static partial void LogMoved(ILogger logger, int count);
}
