namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// Where ingested documents, their chunks, full-text index and vectors are kept: SQLite beside the conversations (the
/// embedded default) or PostgreSQL with pgvector (scale-out), chosen by the connection string as the conversations are.
/// A document's chunks become searchable together or not at all (<see cref="CompleteAsync"/> is one transaction).
/// </summary>
public interface IDocumentStore
{
    /// <summary>Creates the schema (idempotent) and fails documents a restart interrupted (never half-searchable).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Records a new document as queued; <see cref="DocumentExistsException"/> when its name is taken in its index.</summary>
    Task<StoredDocument> AddAsync(NewDocument document, CancellationToken cancellationToken);

    /// <summary>Moves a queued document along (parsed, chunked, embedded) or fails it with the reason; no chunks are written.</summary>
    Task SetStatusAsync(Guid documentId, string status, string? error, DocumentFacts? facts, CancellationToken cancellationToken);

    /// <summary>Writes all the chunks and vectors of a document and marks it searchable, in one transaction.</summary>
    Task CompleteAsync(Guid documentId, IReadOnlyList<NewChunk> chunks, CancellationToken cancellationToken);

    /// <summary>Documents of one index (null: every index), oldest first.</summary>
    Task<IReadOnlyList<StoredDocument>> ListAsync(string? indexName, CancellationToken cancellationToken);

    Task<StoredDocument?> FindAsync(Guid documentId, CancellationToken cancellationToken);

    /// <summary>Deletes one document (by id, or by name within <paramref name="indexName"/>) with its chunks and vectors.</summary>
    Task<bool> DeleteAsync(string idOrName, string? indexName, CancellationToken cancellationToken);

    /// <summary>Deletes every document of one index (null: of every index); returns how many.</summary>
    Task<int> DeleteAllAsync(string? indexName, CancellationToken cancellationToken);

    /// <summary>Full-text search (BM25 on SQLite's FTS5, ts_rank on PostgreSQL), best first; higher score is better.</summary>
    Task<IReadOnlyList<ScoredChunk>> SearchTextAsync(string query, string indexName, int limit, CancellationToken cancellationToken);

    /// <summary>Nearest chunks by cosine similarity to <paramref name="vector"/> (L2-normalised), best first; score = cosine similarity.</summary>
    Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken);

    /// <summary>How many searchable chunks one index holds (0: retrieval is skipped and the answer is plain chat).</summary>
    Task<int> CountChunksAsync(string indexName, CancellationToken cancellationToken);
}

/// <summary>A document about to be ingested.</summary>
public sealed record NewDocument(string Name, string Type, string IndexName, long Bytes, string? Format);

/// <summary>What parsing found out about a document.</summary>
public sealed record DocumentFacts(string? Format, int? Pages, long? Characters);

public sealed record StoredDocument
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }

    /// <summary><c>File</c> or <c>Link</c> (see OpeaChat.Contracts.Dataprep.DocumentTypes).</summary>
    public required string Type { get; init; }
    public required string IndexName { get; init; }

    /// <summary>See OpeaChat.Contracts.Dataprep.DocumentStatuses.</summary>
    public required string Status { get; init; }
    public string? Error { get; init; }
    public string? Format { get; init; }
    public long Bytes { get; init; }
    public int? Pages { get; init; }
    public int Chunks { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? IngestedAt { get; init; }
}

/// <summary>One chunk of a document, with its vector (L2-normalised, the embedding model's dimensions).</summary>
public sealed record NewChunk(int Index, string Text, string? Heading, int? Page, float[] Vector);

public sealed record StoredChunk
{
    public required string Id { get; init; }
    public required Guid DocumentId { get; init; }
    public required string DocumentName { get; init; }
    public required string IndexName { get; init; }
    public required int Index { get; init; }
    public required string Text { get; init; }
    public string? Heading { get; init; }
    public int? Page { get; init; }

    /// <summary>The chunk's vector (for MMR's diversity); empty when a store leaves it out.</summary>
    public ReadOnlyMemory<float> Vector { get; init; }
}

public sealed record ScoredChunk(StoredChunk Chunk, double Score);

public sealed class DocumentExistsException(string name, string indexName)
    : Exception($"Uploaded file {name} already exists. Please change file name.")
{
    public string Name { get; } = name;
    public string IndexName { get; } = indexName;
}
