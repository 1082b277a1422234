using Npgsql;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The pgvector store's tables, created idempotently. The vector column is <c>vector</c> without dimensions, since
/// they are only known when the first document arrives and each index may use another embedding model; HNSW needs a
/// fixed dimension, so each dimension gets its own partial expression index,
/// <c>hnsw ((embedding::vector(N)) vector_cosine_ops) WHERE dimensions = N</c>, created with the first vectors of
/// that dimension, and searches use that same expression. Full text is a stored <c>tsvector</c> column with a GIN index.
/// </summary>
internal static class PgvectorSchema
{
    public const int Version = 1;

    /// <summary>pgvector's HNSW indexes vectors of up to 2,000 dimensions; longer ones are searched by an exact scan.</summary>
    public const int MaxIndexedDimensions = 2000;

    /// <summary>Full text in English (stemming, stop words); the SQLite store's unicode61 tokenizer does not stem.</summary>
    public const string TextSearchConfiguration = "english";

    // Serialises schema creation of gateways that start together (CREATE … IF NOT EXISTS is not safe against a race).
    private const long SchemaLock = 0x4F70_6561_446F_6331;

    private const string CreateTables = $"""
        CREATE TABLE IF NOT EXISTS document_schema_version (version integer NOT NULL);
        CREATE TABLE IF NOT EXISTS documents (
            id uuid PRIMARY KEY,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            name text NOT NULL,
            type text NOT NULL,
            index_name text NOT NULL,
            status text NOT NULL,
            error text,
            format text,
            bytes bigint NOT NULL,
            pages integer,
            characters bigint,
            chunks integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            ingested_at timestamptz,
            updated_at timestamptz NOT NULL,
            owner text,
            UNIQUE (index_name, name));
        CREATE INDEX IF NOT EXISTS documents_status ON documents (status);
        CREATE TABLE IF NOT EXISTS document_chunks (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            chunk_index integer NOT NULL,
            text text NOT NULL,
            heading text,
            page integer,
            dimensions integer NOT NULL,
            embedding vector NOT NULL,
            search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('{TextSearchConfiguration}', text), 'A')
                || setweight(to_tsvector('{TextSearchConfiguration}', coalesce(heading, '')), 'B')) STORED,
            UNIQUE (document_id, chunk_index));
        CREATE INDEX IF NOT EXISTS document_chunks_search ON document_chunks USING gin (search);
        """;

    /// <summary>Creates the extension and tables (the extension's types are then loaded into the data source).</summary>
    public static async Task CreateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({SchemaLock}); CREATE EXTENSION IF NOT EXISTS vector;", cancellationToken);
            await ExecuteAsync(connection, CreateTables, cancellationToken);
            await using var read = new NpgsqlCommand("SELECT max(version) FROM document_schema_version;", connection);
            var found = await read.ExecuteScalarAsync(cancellationToken);
            if (found is int version && version > Version)
            {
                throw new InvalidOperationException(
                    $"The document tables have schema version {version}, newer than this gateway's {Version}: run the newer gateway.");
            }

            if (found is not int)
            {
                await ExecuteAsync(connection, $"INSERT INTO document_schema_version (version) VALUES ({Version});", cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // The vector type may have just been created: without this the data source does not know how to send it.
        await connection.ReloadTypesAsync(cancellationToken);
    }

    /// <summary>
    /// The HNSW index for one dimension (in the caller's transaction, so it exists once the first vectors of that
    /// dimension are searchable). Index names hold the dimension, so a second call is a no-op.
    /// </summary>
    public static async Task EnsureVectorIndexAsync(NpgsqlConnection connection, int dimensions, CancellationToken cancellationToken)
    {
        if (dimensions is <= 0 or > MaxIndexedDimensions)
        {
            return;
        }

        await ExecuteAsync(connection, $"""
            CREATE INDEX IF NOT EXISTS document_chunks_embedding_{dimensions} ON document_chunks
            USING hnsw ((embedding::vector({dimensions})) vector_cosine_ops) WHERE dimensions = {dimensions};
            """, cancellationToken);
    }

    /// <summary>
    /// Fails unfinished documents this host was ingesting (it restarted), and any untouched for
    /// <paramref name="abandonedAfter"/> (their gateway is gone); other gateways may be ingesting theirs right now.
    /// </summary>
    public static async Task<int> FailInterruptedAsync(
        NpgsqlDataSource dataSource, string owner, DateTimeOffset now, TimeSpan abandonedAfter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE documents SET status = 'failed', error = @reason, chunks = 0, updated_at = @now
            WHERE status = ANY (@statuses) AND (owner = @owner OR updated_at < @abandoned);
            """);
        command.Parameters.AddWithValue("statuses", DocumentStoreRules.InProgressStatuses);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("abandoned", now - abandonedAfter);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("reason", DocumentStoreRules.InterruptedReason);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
