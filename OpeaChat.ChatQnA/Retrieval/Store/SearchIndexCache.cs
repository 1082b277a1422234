using System.Collections.Concurrent;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>The in-memory search structures of one index at one moment: its vectors and its full-text index.</summary>
internal sealed record SearchIndexSnapshot(VectorIndexSnapshot Vectors, TextIndexSnapshot Text)
{
    public static readonly SearchIndexSnapshot Empty = new(VectorIndexSnapshot.Empty, TextIndexSnapshot.Empty);

    /// <summary>A document that became searchable (replacing any earlier rows of the same document).</summary>
    public SearchIndexSnapshot With(VectorSegment vectors, TextSegment text) => new(Vectors.With(vectors), Text.With(text));

    public SearchIndexSnapshot Without(IReadOnlySet<Guid> documentIds) => new(Vectors.Without(documentIds), Text.Without(documentIds));
}

/// <summary>
/// The in-memory vectors and full text of each index, loaded from the database at its first search and then kept in
/// step by the store's writes. Loads and updates take one gate, so an update that commits while a load reads is
/// never lost: it waits for the load to publish, then applies itself (updates replace by document, so applying twice
/// is harmless).
/// </summary>
internal sealed class SearchIndexCache : IDisposable
{
    private readonly ConcurrentDictionary<string, SearchIndexSnapshot> _loaded = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async ValueTask<SearchIndexSnapshot> GetAsync(
        string indexName, Func<CancellationToken, Task<SearchIndexSnapshot>> load, CancellationToken cancellationToken)
    {
        if (_loaded.TryGetValue(indexName, out var snapshot))
        {
            return snapshot;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_loaded.TryGetValue(indexName, out snapshot))
            {
                snapshot = await load(cancellationToken);
                _loaded[indexName] = snapshot;
            }

            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies a committed write to the index's snapshot, if that index is loaded (else its next load reads it).</summary>
    public async Task UpdateAsync(string indexName, Func<SearchIndexSnapshot, SearchIndexSnapshot> change)
    {
        // Not cancellable: the database already holds the change, and memory must follow it.
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (_loaded.TryGetValue(indexName, out var snapshot))
            {
                _loaded[indexName] = change(snapshot);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes documents from whichever loaded indexes hold them.</summary>
    public async Task RemoveAsync(IReadOnlyCollection<(Guid DocumentId, string IndexName)> documents)
    {
        foreach (var group in documents.GroupBy(document => document.IndexName, StringComparer.Ordinal))
        {
            var ids = group.Select(document => document.DocumentId).ToHashSet();
            await UpdateAsync(group.Key, snapshot => snapshot.Without(ids));
        }
    }

    /// <summary>Drops indexes whose documents changed wholesale (moved), so that their next search loads them again.</summary>
    public async Task ForgetAsync(params string[] indexNames)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            foreach (var name in indexNames)
            {
                _loaded.TryRemove(name, out _);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
