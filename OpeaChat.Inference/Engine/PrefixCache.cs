using LLama.Batched;
using LLama.Native;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// Finished conversations kept in the KV cache, oldest first, so that a request extending one (the next turn of a
/// chat) only evaluates its new tokens. Holds at most <c>slots</c> of them; <see cref="KvCacheEviction"/> evicts
/// them earlier when running sequences need the cells.
/// </summary>
internal sealed class PrefixCache(int slots)
{
    private readonly List<CachedSequence> _entries = [];
    private int _count;

    /// <summary>Whether finished conversations are kept at all.</summary>
    public bool Enabled => slots > 0;

    /// <summary>Cached conversations, readable from any thread.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool IsEmpty => _entries.Count == 0;

    /// <summary>KV cells the cached conversations hold.</summary>
    public int TokenCount => _entries.Sum(cached => cached.Tokens.Count);

    /// <summary>
    /// Takes out the cached conversation that shares the longest prefix with the prompt, trimmed to the tokens it
    /// can reuse, or returns null when none is worth continuing.
    /// </summary>
    public (Conversation Conversation, int ReusedTokens)? TryTake(IReadOnlyList<LLamaToken> prompt)
    {
        // Worth it when most of a cached sequence carries over (the next turn of the same chat), as llama-server
        // judges; among those, the one that saves the most.
        CachedSequence? best = null;
        var bestLength = 0;
        foreach (var cached in _entries)
        {
            var length = CommonPrefixLength(cached.Tokens, prompt);
            if (length > bestLength && length * 2 >= cached.Tokens.Count)
            {
                best = cached;
                bestLength = length;
            }
        }

        if (best is null)
        {
            return null;
        }

        _entries.Remove(best);
        Volatile.Write(ref _count, _entries.Count);
        var reuse = Math.Min(bestLength, prompt.Count - 1); // at least one token must be evaluated to get logits
        best.Conversation.Modify((end, kv) =>
        {
            kv.Remove(reuse, end);
            return reuse;
        });
        return (best.Conversation, reuse);
    }

    /// <summary>Keeps a finished conversation (the newest), evicting the oldest beyond the slots.</summary>
    public void Add(Conversation conversation, List<LLamaToken> tokens)
    {
        _entries.Add(new CachedSequence(conversation, tokens));
        if (_entries.Count > slots)
        {
            EvictOldest();
        }

        Volatile.Write(ref _count, _entries.Count);
    }

    /// <summary>Frees the least recently finished conversation.</summary>
    public void EvictOldest()
    {
        var oldest = _entries[0];
        _entries.RemoveAt(0);
        Volatile.Write(ref _count, _entries.Count);
        oldest.Conversation.Dispose();
    }

    /// <summary>Frees every cached conversation.</summary>
    public void Clear()
    {
        while (_entries.Count > 0)
        {
            EvictOldest();
        }
    }

    private static int CommonPrefixLength(List<LLamaToken> cached, IReadOnlyList<LLamaToken> prompt)
    {
        var length = Math.Min(cached.Count, prompt.Count);
        for (var i = 0; i < length; i++)
        {
            if (cached[i] != prompt[i])
            {
                return i;
            }
        }

        return length;
    }

    private sealed record CachedSequence(Conversation Conversation, List<LLamaToken> Tokens);
}
