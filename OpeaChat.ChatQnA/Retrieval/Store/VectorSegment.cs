using System.Numerics.Tensors;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// One searchable document's vectors, row after row in one array (so a scan reads memory in order), with each row's
/// chunk key and the inverse of its length (cosine = dot × both inverse lengths, exact even for unnormalised input).
/// </summary>
internal sealed class VectorSegment
{
    public VectorSegment(Guid documentId, long[] chunkKeys, float[] vectors, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(vectors.Length, chunkKeys.Length * dimensions);
        DocumentId = documentId;
        ChunkKeys = chunkKeys;
        Vectors = vectors;
        Dimensions = dimensions;
        InverseNorms = new float[chunkKeys.Length];
        for (var row = 0; row < chunkKeys.Length; row++)
        {
            var norm = TensorPrimitives.Norm(Row(row));
            InverseNorms[row] = norm > 0 ? 1 / norm : 0;
        }
    }

    public Guid DocumentId { get; }

    /// <summary>The store's own key of each row's chunk (SQLite's rowid).</summary>
    public long[] ChunkKeys { get; }

    public float[] Vectors { get; }

    public float[] InverseNorms { get; }

    public int Dimensions { get; }

    public int Count => ChunkKeys.Length;

    public ReadOnlySpan<float> Row(int row) => Vectors.AsSpan(row * Dimensions, Dimensions);
}

/// <summary>
/// The vectors of one index at one moment. Immutable: a search scans the snapshot it took while a write publishes
/// the next one, so searches never lock and never see half a document.
/// </summary>
internal sealed class VectorIndexSnapshot
{
    public static readonly VectorIndexSnapshot Empty = new([]);

    private readonly VectorSegment[] _segments;

    private VectorIndexSnapshot(VectorSegment[] segments)
    {
        _segments = segments;
        Count = segments.Sum(segment => segment.Count);
    }

    public int Count { get; }

    /// <summary>The index's dimensions; 0 while it holds no vectors.</summary>
    public int Dimensions => _segments.FirstOrDefault(segment => segment.Count > 0)?.Dimensions ?? 0;

    public static VectorIndexSnapshot From(IEnumerable<VectorSegment> segments) => new([.. segments]);

    public VectorIndexSnapshot With(VectorSegment segment) =>
        new([.. _segments.Where(existing => existing.DocumentId != segment.DocumentId), segment]);

    public VectorIndexSnapshot Without(IReadOnlySet<Guid> documentIds) =>
        _segments.Any(segment => documentIds.Contains(segment.DocumentId))
            ? new([.. _segments.Where(segment => !documentIds.Contains(segment.DocumentId))])
            : this;

    /// <summary>
    /// The <paramref name="limit"/> rows most similar to <paramref name="query"/>, best first (exact: every row is
    /// scored); equal scores in snapshot order, so the same query always gives the same list. A large index is
    /// scanned in one range per core: the scan is bound by memory bandwidth when the machine is idle, but on a busy
    /// one each thread is another share of CPU time.
    /// </summary>
    public IReadOnlyList<VectorHit> Nearest(ReadOnlySpan<float> query, int limit)
    {
        var queryNorm = TensorPrimitives.Norm(query);
        if (limit <= 0 || Count == 0 || queryNorm == 0)
        {
            return [];
        }

        var inverseQueryNorm = 1 / queryNorm;
        var ranges = Count >= RowsPerRange * 2 ? Math.Min(Environment.ProcessorCount, Count / RowsPerRange) : 1;
        if (ranges == 1)
        {
            return Drain([Scan(query, inverseQueryNorm, limit, 0, Count)], limit);
        }

        var queryCopy = query.ToArray();
        var found = new PriorityQueue<VectorHit, (float Score, int Position)>[ranges];
        Parallel.For(0, ranges, range =>
            found[range] = Scan(queryCopy, inverseQueryNorm, limit, (int)((long)Count * range / ranges), (int)((long)Count * (range + 1) / ranges)));
        return Drain(found, limit);
    }

    /// <summary>Below twice this many rows one thread scans them all (a thread costs more than it saves).</summary>
    private const int RowsPerRange = 16_384;

    private static readonly Comparer<(float Score, int Position)> s_worstFirst = Comparer<(float Score, int Position)>.Create(
        (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Position.CompareTo(a.Position));

    /// <summary>The best <paramref name="limit"/> of the rows at positions [from, to) of the snapshot.</summary>
    private PriorityQueue<VectorHit, (float Score, int Position)> Scan(ReadOnlySpan<float> query, float inverseQueryNorm, int limit, int from, int to)
    {
        // A min-heap of the best so far (worst first: lower score, then later position): a row only costs a heap
        // operation when it beats the worst kept one, and a tie never does, so earlier rows win ties.
        var best = new PriorityQueue<VectorHit, (float Score, int Position)>(limit + 1, s_worstFirst);
        var worstKept = float.NegativeInfinity;
        var position = 0;
        foreach (var segment in _segments)
        {
            if (position + segment.Count <= from || segment.Dimensions != query.Length)
            {
                position += segment.Count;
                continue;
            }

            if (position >= to)
            {
                break;
            }

            var vectors = segment.Vectors;
            var inverseNorms = segment.InverseNorms;
            var dimensions = segment.Dimensions;
            var last = Math.Min(segment.Count, to - position);
            for (var row = Math.Max(0, from - position); row < last; row++)
            {
                var score = TensorPrimitives.Dot(vectors.AsSpan(row * dimensions, dimensions), query) * inverseNorms[row] * inverseQueryNorm;
                if (best.Count == limit && score <= worstKept)
                {
                    continue;
                }

                best.Enqueue(new VectorHit(segment, row, score), (score, position + row));
                if (best.Count > limit)
                {
                    best.Dequeue();
                }

                if (best.Count == limit)
                {
                    best.TryPeek(out _, out var worst);
                    worstKept = worst.Score;
                }
            }

            position += segment.Count;
        }

        return best;
    }

    /// <summary>The best <paramref name="limit"/> of the ranges' hits, best first, ties by position.</summary>
    private static VectorHit[] Drain(PriorityQueue<VectorHit, (float Score, int Position)>[] ranges, int limit)
    {
        var all = new List<(VectorHit Hit, (float Score, int Position) Order)>();
        foreach (var range in ranges)
        {
            all.AddRange(range.UnorderedItems);
        }

        all.Sort((a, b) => s_worstFirst.Compare(b.Order, a.Order));
        return [.. all.Take(limit).Select(item => item.Hit)];
    }
}

internal readonly record struct VectorHit(VectorSegment Segment, int Row, float Score)
{
    public long ChunkKey => Segment.ChunkKeys[Row];

    public float[] Vector => Segment.Row(Row).ToArray();
}
