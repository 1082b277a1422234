namespace OpeaChat.Inference.Engine;

/// <summary>
/// Keeps the shared KV cache (<c>contextSize</c> cells) within bounds: running sequences come first, so cached
/// prefixes are evicted, least recently used first, until what comes next fits. Also keeps the cells-used gauge.
/// </summary>
internal sealed class KvCacheEviction(int contextSize, PrefixCache prefixCache)
{
    private int _cellsUsed;

    /// <summary>Cells used after the last decode step, readable from any thread.</summary>
    public int CellsUsed => Volatile.Read(ref _cellsUsed);

    /// <summary>Evicts cached prefixes until <paramref name="incomingTokens"/> more fit beside the running sequences' cells.</summary>
    public void MakeRoom(int activeCells, int incomingTokens)
    {
        while (!prefixCache.IsEmpty && UsedCells(activeCells) + incomingTokens > contextSize)
        {
            prefixCache.EvictOldest();
        }
    }

    public void UpdateCellsUsed(int activeCells) => Volatile.Write(ref _cellsUsed, UsedCells(activeCells));

    private int UsedCells(int activeCells) => activeCells + prefixCache.TokenCount;
}
