using System.Numerics.Tensors;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// Maximal marginal relevance (Carbonell and Goldstein, 1998), as LangChain's <c>mmr</c> search does: pick, one at a
/// time, the candidate with the best <c>λ·sim(query, c) − (1 − λ)·max sim(c, picked)</c>, so that near-duplicates of
/// what is already picked lose to chunks that add something.
/// </summary>
public static class MaximalMarginalRelevance
{
    /// <param name="candidates">Chunks with their vectors (ones without a vector count as unrelated to the rest).</param>
    public static IReadOnlyList<ScoredChunk> Select(IReadOnlyList<ScoredChunk> candidates, ReadOnlySpan<float> query, int count, double lambda)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var relevance = new double[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            relevance[i] = Similarity(query, candidates[i].Chunk.Vector.Span);
        }

        var picked = new List<int>(Math.Min(count, candidates.Count));
        var remaining = Enumerable.Range(0, candidates.Count).ToList();
        while (picked.Count < count && remaining.Count > 0)
        {
            var best = -1;
            var bestScore = double.NegativeInfinity;
            foreach (var i in remaining)
            {
                var redundancy = 0.0;
                foreach (var j in picked)
                {
                    redundancy = Math.Max(redundancy, Similarity(candidates[i].Chunk.Vector.Span, candidates[j].Chunk.Vector.Span));
                }

                var score = lambda * relevance[i] - (1 - lambda) * redundancy;
                if (score > bestScore)
                {
                    (best, bestScore) = (i, score);
                }
            }

            picked.Add(best);
            remaining.Remove(best);
        }

        return picked.Select(i => candidates[i]).ToList();
    }

    private static double Similarity(ReadOnlySpan<float> left, ReadOnlySpan<float> right) =>
        left.Length == 0 || left.Length != right.Length ? 0 : TensorPrimitives.CosineSimilarity(left, right);
}
