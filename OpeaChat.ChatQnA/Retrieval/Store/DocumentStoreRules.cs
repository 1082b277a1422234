using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>The checks both stores make before touching their database, so that they refuse the same things.</summary>
internal static class DocumentStoreRules
{
    /// <summary>A search never returns more than this many chunks, whatever it is asked for.</summary>
    public const int MaxLimit = 1000;

    public const string InterruptedReason = "The gateway restarted while ingesting this document; upload it again.";

    public static readonly string[] InProgressStatuses =
        [DocumentStatuses.Queued, DocumentStatuses.Parsed, DocumentStatuses.Chunked, DocumentStatuses.Embedded];

    public static string ChunkId(Guid documentId, int index) => $"{documentId:N}:{index}";

    public static void CheckNew(NewDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrWhiteSpace(document.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(document.Type);
        ArgumentException.ThrowIfNullOrWhiteSpace(document.IndexName);
        ArgumentOutOfRangeException.ThrowIfNegative(document.Bytes);
    }

    public static void CheckStatusChange(string status)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(status);
        if (status == DocumentStatuses.Searchable)
        {
            throw new ArgumentException("A document becomes searchable only through CompleteAsync, with its chunks.", nameof(status));
        }

        if (status != DocumentStatuses.Failed && !InProgressStatuses.Contains(status))
        {
            throw new ArgumentException($"Unknown document status '{status}'.", nameof(status));
        }
    }

    public static void CheckCanChange(Guid documentId, string current)
    {
        if (current == DocumentStatuses.Searchable)
        {
            throw new InvalidOperationException($"Document {documentId} is already searchable; delete it to ingest it again.");
        }
    }

    public static void CheckCanComplete(Guid documentId, string current)
    {
        if (DocumentStatuses.IsFinished(current))
        {
            throw new InvalidOperationException($"Document {documentId} is already {current}; it cannot be completed again.");
        }
    }

    /// <summary>The dimensions every chunk of one document shares (0 without chunks); refuses empty or mixed vectors.</summary>
    public static int CheckChunks(string indexName, IReadOnlyList<NewChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var dimensions = 0;
        foreach (var chunk in chunks)
        {
            ArgumentNullException.ThrowIfNull(chunk);
            ArgumentNullException.ThrowIfNull(chunk.Text);
            if (chunk.Vector is not { Length: > 0 })
            {
                throw new ArgumentException($"Chunk {chunk.Index} has no vector.", nameof(chunks));
            }

            if (dimensions == 0)
            {
                dimensions = chunk.Vector.Length;
            }
            else if (chunk.Vector.Length != dimensions)
            {
                throw new VectorDimensionException(indexName, dimensions, chunk.Vector.Length);
            }
        }

        if (chunks.Select(chunk => chunk.Index).Distinct().Count() != chunks.Count)
        {
            throw new ArgumentException("Two chunks have the same index.", nameof(chunks));
        }

        return dimensions;
    }

    /// <summary>0 or less finds nothing; more than <see cref="MaxLimit"/> is cut to it.</summary>
    public static int Limit(int limit) => Math.Clamp(limit, 0, MaxLimit);
}
