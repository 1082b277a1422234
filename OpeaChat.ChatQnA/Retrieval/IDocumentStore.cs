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

    /// <summary>
    /// Records a new document as queued; <see cref="DocumentExistsException"/> when its name is taken in its index by a
    /// document that is not failed. A failed document of the same name is replaced (so "upload it again" works).
    /// </summary>
    Task<StoredDocument> AddAsync(NewDocument document, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a document along (parsed, chunked, embedded) or fails it with the reason; no chunks are written.
    /// <paramref name="facts"/>, when given, replaces the format, pages and characters. Returns false when the
    /// document is gone (deleted while it was being ingested: stop working on it). <c>searchable</c> is refused
    /// (<see cref="ArgumentException"/>: use <see cref="CompleteAsync"/>), and so is any change to a searchable
    /// document (<see cref="InvalidOperationException"/>).
    /// </summary>
    Task<bool> SetStatusAsync(Guid documentId, string status, string? error, DocumentFacts? facts, CancellationToken cancellationToken);

    /// <summary>
    /// Writes all the chunks and vectors of a document and marks it searchable, in one transaction. Returns false
    /// (and writes nothing) when the document is gone. Throws <see cref="VectorDimensionException"/> when the
    /// vectors' dimensions differ from each other or from the vectors already in the index (nothing is written; fail
    /// the document with the message); <see cref="InvalidOperationException"/> when it is already searchable or failed.
    /// </summary>
    Task<bool> CompleteAsync(Guid documentId, IReadOnlyList<NewChunk> chunks, CancellationToken cancellationToken);

    /// <summary>Documents of one index (null: every index), oldest first.</summary>
    Task<IReadOnlyList<StoredDocument>> ListAsync(string? indexName, CancellationToken cancellationToken);

    Task<StoredDocument?> FindAsync(Guid documentId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes one document (by id in any index, or by name within <paramref name="indexName"/>; null: by name in
    /// every index) with its chunks and vectors; false when nothing matched.
    /// </summary>
    Task<bool> DeleteAsync(string idOrName, string? indexName, CancellationToken cancellationToken);

    /// <summary>Deletes every document of one index (null: of every index); returns how many.</summary>
    Task<int> DeleteAllAsync(string? indexName, CancellationToken cancellationToken);

    /// <summary>
    /// Moves every document of <paramref name="fromIndex"/>, with its chunks and vectors, to <paramref name="toIndex"/>
    /// in one transaction (a person's collection shared, or one from before accounts given to the first admin).
    /// Nothing moves when a document name is in both, or while a document of it is still being ingested.
    /// </summary>
    Task<CollectionMove> MoveAllAsync(string fromIndex, string toIndex, CancellationToken cancellationToken);

    /// <summary>
    /// Full-text search (BM25 on SQLite's FTS5, ts_rank_cd on PostgreSQL), best first; higher score is better. Any
    /// text is safe: the words are searched (any of them), operators and quotes are not interpreted; no words, no hits.
    /// </summary>
    Task<IReadOnlyList<ScoredChunk>> SearchTextAsync(string query, string indexName, int limit, CancellationToken cancellationToken);

    /// <summary>Nearest chunks by cosine similarity to <paramref name="vector"/> (L2-normalised), best first; score = cosine similarity.</summary>
    Task<IReadOnlyList<ScoredChunk>> SearchVectorAsync(ReadOnlyMemory<float> vector, string indexName, int limit, CancellationToken cancellationToken);

    /// <summary>How many searchable chunks one index holds (0: retrieval is skipped and the answer is plain chat).</summary>
    Task<int> CountChunksAsync(string indexName, CancellationToken cancellationToken);

    /// <summary>
    /// Loads what the first search of an index would otherwise wait for (the SQLite store's in-memory indexes: seconds
    /// at 100,000 chunks), and says how many chunks it holds. A store with nothing to load does nothing and says 0.
    /// </summary>
    Task<int> WarmAsync(string indexName, CancellationToken cancellationToken) => Task.FromResult(0);
}

/// <summary>What <see cref="IDocumentStore.MoveAllAsync"/> did: how many moved, or why none did.</summary>
public sealed record CollectionMove(int Moved, IReadOnlyList<string> Clashes, int Unfinished)
{
    public bool Done => Clashes.Count == 0 && Unfinished == 0;
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

/// <summary>A document's vectors do not have the dimensions of the vectors already in its index (or of each other).</summary>
public sealed class VectorDimensionException(string indexName, int expected, int actual)
    : Exception($"The vectors have {actual} dimensions, but index {indexName} holds vectors of {expected}: embed with the index's model, or use another index.")
{
    public string IndexName { get; } = indexName;
    public int Expected { get; } = expected;
    public int Actual { get; } = actual;
}
