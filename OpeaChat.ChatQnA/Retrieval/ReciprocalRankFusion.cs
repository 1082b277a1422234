namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): a chunk's fused score is the sum over the ranked lists
/// it appears in of 1 / (constant + rank), rank from 1. Scores of different kinds (BM25, cosine) need no calibration.
/// </summary>
public static class ReciprocalRankFusion
{
    public static IReadOnlyList<ScoredChunk> Fuse(IReadOnlyList<IReadOnlyList<ScoredChunk>> rankings, int constant)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        var fused = new Dictionary<string, (StoredChunk Chunk, double Score, int FirstSeen)>();
        var order = 0;
        foreach (var ranking in rankings)
        {
            for (var rank = 0; rank < ranking.Count; rank++)
            {
                var chunk = ranking[rank].Chunk;
                var contribution = 1.0 / (constant + rank + 1);
                fused[chunk.Id] = fused.TryGetValue(chunk.Id, out var seen)
                    // Keep the copy that carries a vector, for MMR and the thresholds.
                    ? (seen.Chunk.Vector.IsEmpty ? chunk : seen.Chunk, seen.Score + contribution, seen.FirstSeen)
                    : (chunk, contribution, order++);
            }
        }

        return fused.Values
            .OrderByDescending(entry => entry.Score)
            .ThenBy(entry => entry.FirstSeen)
            .Select(entry => new ScoredChunk(entry.Chunk, entry.Score))
            .ToList();
    }
}
