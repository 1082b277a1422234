namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>The rows holding one term in a segment, in row order, with the term's weighted frequency in each.</summary>
internal sealed record TextPostings(int[] Rows, float[] Frequencies);

/// <summary>
/// An immutable inverted index over some chunks of one index (one or more documents): per term its postings, per
/// row the chunk key, its document and its length in tokens (text and heading, as FTS5's column sizes). A term's
/// frequency in a row is its count in the text plus half its count in the heading, as <c>bm25(chunks_fts, 1.0, 0.5)</c>
/// weighs them.
/// </summary>
internal sealed class TextSegment
{
    public const float HeadingWeight = 0.5f;

    public TextSegment(long[] chunkKeys, Guid[] documentIds, int[] lengths, Dictionary<string, TextPostings> terms)
    {
        ChunkKeys = chunkKeys;
        DocumentIds = documentIds;
        Lengths = lengths;
        Terms = terms;
        Documents = [.. documentIds];
        TotalTokens = lengths.Sum(length => (long)length);
    }

    public long[] ChunkKeys { get; }

    public Guid[] DocumentIds { get; }

    public int[] Lengths { get; }

    public Dictionary<string, TextPostings> Terms { get; }

    public HashSet<Guid> Documents { get; }

    public long TotalTokens { get; }

    public int Count => ChunkKeys.Length;

    /// <summary>The rows of both, <paramref name="first"/>'s first; postings only <paramref name="first"/> has are shared, not copied.</summary>
    public static TextSegment Merge(TextSegment first, TextSegment second)
    {
        var offset = first.Count;
        var terms = new Dictionary<string, TextPostings>(Math.Max(first.Terms.Count, second.Terms.Count), StringComparer.Ordinal);
        foreach (var (term, postings) in first.Terms)
        {
            terms[term] = second.Terms.TryGetValue(term, out var more) ? Concat(postings, more, offset) : postings;
        }

        foreach (var (term, postings) in second.Terms)
        {
            if (!first.Terms.ContainsKey(term))
            {
                terms[term] = Concat(new TextPostings([], []), postings, offset);
            }
        }

        return new TextSegment([.. first.ChunkKeys, .. second.ChunkKeys], [.. first.DocumentIds, .. second.DocumentIds],
            [.. first.Lengths, .. second.Lengths], terms);
    }

    /// <summary>This segment without the rows of <paramref name="documentIds"/>; null when none is left.</summary>
    public TextSegment? Without(IReadOnlySet<Guid> documentIds)
    {
        if (!Documents.Overlaps(documentIds))
        {
            return this;
        }

        var renumbered = new int[Count];
        var kept = 0;
        for (var row = 0; row < Count; row++)
        {
            renumbered[row] = documentIds.Contains(DocumentIds[row]) ? -1 : kept++;
        }

        if (kept == 0)
        {
            return null;
        }

        var terms = new Dictionary<string, TextPostings>(Terms.Count, StringComparer.Ordinal);
        foreach (var (term, postings) in Terms)
        {
            var rows = new List<int>(postings.Rows.Length);
            var frequencies = new List<float>(postings.Rows.Length);
            for (var i = 0; i < postings.Rows.Length; i++)
            {
                if (renumbered[postings.Rows[i]] is var row and >= 0)
                {
                    rows.Add(row);
                    frequencies.Add(postings.Frequencies[i]);
                }
            }

            if (rows.Count > 0)
            {
                terms[term] = new TextPostings([.. rows], [.. frequencies]);
            }
        }

        bool Keep(int row) => renumbered[row] >= 0;
        var keptRows = Enumerable.Range(0, Count).Where(Keep).ToArray();
        return new TextSegment(
            [.. keptRows.Select(row => ChunkKeys[row])], [.. keptRows.Select(row => DocumentIds[row])], [.. keptRows.Select(row => Lengths[row])], terms);
    }

    /// <summary>Bytes this segment holds, roughly (arrays and dictionary entries; the term strings counted once).</summary>
    public long EstimatedBytes() =>
        (Count * (sizeof(long) + 16 + sizeof(int)))
        + Terms.Sum(pair => 48L + (pair.Key.Length * 2) + (pair.Value.Rows.Length * (sizeof(int) + sizeof(float))));

    private static TextPostings Concat(TextPostings first, TextPostings second, int offset)
    {
        var rows = new int[first.Rows.Length + second.Rows.Length];
        var frequencies = new float[rows.Length];
        first.Rows.CopyTo(rows, 0);
        first.Frequencies.CopyTo(frequencies, 0);
        for (var i = 0; i < second.Rows.Length; i++)
        {
            rows[first.Rows.Length + i] = second.Rows[i] + offset;
        }

        second.Frequencies.CopyTo(frequencies, first.Rows.Length);
        return new TextPostings(rows, frequencies);
    }
}

/// <summary>Builds a <see cref="TextSegment"/> row by row, tokenizing as FTS5 does (<see cref="FullTextTokenizer"/>).</summary>
internal sealed class TextSegmentBuilder
{
    private readonly List<long> _keys = [];
    private readonly List<Guid> _documents = [];
    private readonly List<int> _lengths = [];
    private readonly Dictionary<string, (List<int> Rows, List<float> Frequencies)> _terms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (List<int> Rows, List<float> Frequencies)>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly TokenHandler _onText;
    private readonly TokenHandler _onHeading;
    private int _length;

    public TextSegmentBuilder()
    {
        _lookup = _terms.GetAlternateLookup<ReadOnlySpan<char>>();
        _onText = token => Add(token, 1f);
        _onHeading = token => Add(token, TextSegment.HeadingWeight);
    }

    public int Count => _keys.Count;

    /// <summary>The segment of one document that just became searchable.</summary>
    public static TextSegment Build(Guid documentId, IReadOnlyList<long> keys, IReadOnlyList<NewChunk> chunks)
    {
        var builder = new TextSegmentBuilder();
        for (var i = 0; i < chunks.Count; i++)
        {
            builder.AddRow(keys[i], documentId, chunks[i].Text, chunks[i].Heading);
        }

        return builder.Build();
    }

    public void AddRow(long chunkKey, Guid documentId, string text, string? heading)
    {
        _length = 0;
        _keys.Add(chunkKey);
        _documents.Add(documentId);
        FullTextTokenizer.Tokenize(text, _onText);
        if (heading is not null)
        {
            FullTextTokenizer.Tokenize(heading, _onHeading);
        }

        _lengths.Add(_length);
    }

    public TextSegment Build()
    {
        var terms = new Dictionary<string, TextPostings>(_terms.Count, StringComparer.Ordinal);
        foreach (var (term, (rows, frequencies)) in _terms)
        {
            terms[term] = new TextPostings([.. rows], [.. frequencies]);
        }

        return new TextSegment([.. _keys], [.. _documents], [.. _lengths], terms);
    }

    private void Add(ReadOnlySpan<char> token, float weight)
    {
        _length++;
        var row = _keys.Count - 1;
        if (!_lookup.TryGetValue(token, out var postings))
        {
            postings = ([], []);
            _lookup[token] = postings;
        }

        // Postings are appended in row order, so this row's entry, if any, is the last one.
        if (postings.Rows.Count > 0 && postings.Rows[^1] == row)
        {
            postings.Frequencies[^1] += weight;
        }
        else
        {
            postings.Rows.Add(row);
            postings.Frequencies.Add(weight);
        }
    }
}
