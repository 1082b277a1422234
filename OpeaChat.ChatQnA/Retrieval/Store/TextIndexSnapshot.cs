using System.Buffers;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// The full text of one index at one moment, as a few <see cref="TextSegment"/>s (one per newly searchable document,
/// merged with its neighbours when their sizes come close, so a large index is a handful of segments). Immutable, as
/// <see cref="VectorIndexSnapshot"/>. Scores are FTS5's <c>bm25(chunks_fts, 1.0, 0.5)</c>, negated: the same
/// formula, constants and arithmetic order, over this index's rows.
/// </summary>
internal sealed class TextIndexSnapshot
{
    public static readonly TextIndexSnapshot Empty = new([]);

    // FTS5's bm25(): k1 = 1.2, b = 0.75, an IDF at or below zero becomes 1e-6.
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const double MinimumIdf = 1e-6;

    private readonly TextSegment[] _segments;

    private TextIndexSnapshot(TextSegment[] segments)
    {
        _segments = segments;
        Count = segments.Sum(segment => segment.Count);
        TotalTokens = segments.Sum(segment => segment.TotalTokens);
    }

    public int Count { get; }

    public long TotalTokens { get; }

    public int Segments => _segments.Length;

    public static TextIndexSnapshot From(TextSegment segment) => segment.Count == 0 ? Empty : new([segment]);

    public TextIndexSnapshot With(TextSegment segment)
    {
        var segments = Without(segment.Documents)._segments.ToList();
        if (segment.Count > 0)
        {
            segments.Add(segment);
        }

        // Like a binary counter: the newest segment merges into the one before while they are of a similar size,
        // so each row is copied O(log n) times over the index's life and a search visits O(log n) segments.
        while (segments.Count >= 2 && segments[^2].Count <= 2 * segments[^1].Count)
        {
            var merged = TextSegment.Merge(segments[^2], segments[^1]);
            segments.RemoveRange(segments.Count - 2, 2);
            segments.Add(merged);
        }

        return new([.. segments]);
    }

    public TextIndexSnapshot Without(IReadOnlySet<Guid> documentIds) =>
        _segments.Any(segment => segment.Documents.Overlaps(documentIds))
            ? new([.. _segments.Select(segment => segment.Without(documentIds)).OfType<TextSegment>()])
            : this;

    public long EstimatedBytes() => _segments.Sum(segment => segment.EstimatedBytes());

    /// <summary>
    /// The <paramref name="limit"/> best rows for any of <paramref name="terms"/> (one FTS5 phrase each, repeats
    /// counting again as in FTS5), best first, ties by chunk key. Terms in more than half of the rows of an index
    /// of <see cref="SqliteCommonWords.MinimumChunks"/> or more are left out (see <see cref="SqliteCommonWords"/>).
    /// </summary>
    public IReadOnlyList<TextHit> Search(IReadOnlyList<string> terms, int limit)
    {
        if (limit <= 0 || Count == 0 || terms.Count == 0)
        {
            return [];
        }

        var postings = new TextPostings?[terms.Count, _segments.Length];
        var hits = new long[terms.Count];
        for (var t = 0; t < terms.Count; t++)
        {
            for (var s = 0; s < _segments.Length; s++)
            {
                if (_segments[s].Terms.TryGetValue(terms[t], out var found))
                {
                    postings[t, s] = found;
                    hits[t] += found.Rows.Length;
                }
            }
        }

        var searched = SqliteCommonWords.Keep(hits, Count);
        var rows = (double)Count;
        var averageLength = TotalTokens / rows;
        var idf = new double[terms.Count];
        for (var t = 0; t < terms.Count; t++)
        {
            idf[t] = Math.Log((rows - hits[t] + 0.5) / (hits[t] + 0.5));
            idf[t] = idf[t] <= 0 ? MinimumIdf : idf[t];
        }

        var best = new TopHits(limit);
        for (var s = 0; s < _segments.Length; s++)
        {
            Score(_segments[s], s, terms.Count, postings, searched, idf, averageLength, best);
        }

        return best.Drain();
    }

    private static void Score(
        TextSegment segment, int s, int termCount, TextPostings?[,] postings, bool[] searched, double[] idf, double averageLength, TopHits best)
    {
        var scores = ArrayPool<double>.Shared.Rent(segment.Count);
        var touched = ArrayPool<int>.Shared.Rent(segment.Count);
        var touchedCount = 0;
        try
        {
            Array.Clear(scores, 0, segment.Count);
            for (var t = 0; t < termCount; t++)
            {
                if (!searched[t] || postings[t, s] is not { } list)
                {
                    continue;
                }

                var rows = list.Rows;
                var frequencies = list.Frequencies;
                var lengths = segment.Lengths;
                for (var i = 0; i < rows.Length; i++)
                {
                    var row = rows[i];
                    double frequency = frequencies[i];
                    // FTS5's expression, term by term in query order, so the doubles come out the same.
                    var term = idf[t] * (frequency * (K1 + 1.0) / (frequency + (K1 * (1 - B + (B * lengths[row] / averageLength)))));
                    if (scores[row] == 0)
                    {
                        touched[touchedCount++] = row;
                    }

                    scores[row] += term;
                }
            }

            for (var i = 0; i < touchedCount; i++)
            {
                var row = touched[i];
                best.Offer(segment.ChunkKeys[row], scores[row]);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(touched);
        }
    }

    /// <summary>The best hits so far in a min-heap: the worst kept one is the first to go (lower score, then higher key).</summary>
    private sealed class TopHits(int limit)
    {
        private static readonly Comparer<(double Score, long Key)> s_worstFirst = Comparer<(double Score, long Key)>.Create(
            (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Key.CompareTo(a.Key));

        private readonly PriorityQueue<long, (double Score, long Key)> _heap = new(limit + 1, s_worstFirst);
        private (double Score, long Key) _worst = (double.NegativeInfinity, long.MaxValue);

        public void Offer(long key, double score)
        {
            // Most rows lose to the worst kept one: compared inline, without the heap.
            if (_heap.Count == limit && (score < _worst.Score || (score == _worst.Score && key > _worst.Key)))
            {
                return;
            }

            _heap.Enqueue(key, (score, key));
            if (_heap.Count > limit)
            {
                _heap.Dequeue();
            }

            if (_heap.Count == limit)
            {
                _heap.TryPeek(out _, out _worst);
            }
        }

        public IReadOnlyList<TextHit> Drain()
        {
            var hits = new TextHit[_heap.Count];
            for (var i = hits.Length - 1; i >= 0; i--)
            {
                _heap.TryDequeue(out var key, out var priority);
                hits[i] = new TextHit(key, priority.Score);
            }

            return hits;
        }
    }
}

internal readonly record struct TextHit(long ChunkKey, double Score);
