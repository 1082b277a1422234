using OpeaChat.ChatQnA.Retrieval;

namespace OpeaChat.Tests.ChatQnA.Retrieval;

public sealed class RankingTests
{
    [Fact]
    public void Fusion_ranks_a_chunk_found_by_both_searches_above_ones_found_by_one()
    {
        var bm25 = Ranked(Chunk("a"), Chunk("both"), Chunk("b"));
        var vectors = Ranked(Chunk("c"), Chunk("both"));

        var fused = ReciprocalRankFusion.Fuse([bm25, vectors], constant: 60);

        Assert.Equal(["both", "a", "c", "b"], fused.Select(hit => hit.Chunk.Id));
        Assert.Equal(1.0 / 62 + 1.0 / 62, fused[0].Score, 12);
        Assert.Equal(1.0 / 61, fused[1].Score, 12);
    }

    [Fact]
    public void Fusion_keeps_the_copy_of_a_chunk_that_carries_its_vector()
    {
        var withoutVector = Chunk("x");
        var withVector = Chunk("x", 1, 0);

        var fused = ReciprocalRankFusion.Fuse([Ranked(withoutVector), Ranked(withVector)], constant: 60);

        Assert.Equal(2, Assert.Single(fused).Chunk.Vector.Length);
    }

    [Fact]
    public void Mmr_with_lambda_one_is_plain_relevance_and_with_less_skips_near_duplicates()
    {
        // "near" duplicates "best"; "other" is less relevant but different.
        var best = Chunk("best", 1f, 0.05f);
        var near = Chunk("near", 1f, 0.06f);
        var other = Chunk("other", 0.6f, 0.8f);
        var candidates = Ranked(best, near, other);
        float[] query = [1, 0];

        var relevance = MaximalMarginalRelevance.Select(candidates, Normalized(query), 2, lambda: 1);
        var diverse = MaximalMarginalRelevance.Select(candidates, Normalized(query), 2, lambda: 0.3);

        Assert.Equal(["best", "near"], relevance.Select(hit => hit.Chunk.Id));
        Assert.Equal(["best", "other"], diverse.Select(hit => hit.Chunk.Id));
    }

    [Fact]
    public void Mmr_never_picks_more_than_there_are()
    {
        var picked = MaximalMarginalRelevance.Select(Ranked(Chunk("only", 1, 0)), [1f, 0f], 4, lambda: 0.5);

        Assert.Equal("only", Assert.Single(picked).Chunk.Id);
    }

    private static List<ScoredChunk> Ranked(params StoredChunk[] chunks) =>
        chunks.Select((chunk, rank) => new ScoredChunk(chunk, 1.0 - rank * 0.1)).ToList();

    private static StoredChunk Chunk(string id, params float[] vector) => new()
    {
        Id = id,
        DocumentId = Guid.Empty,
        DocumentName = "doc.txt",
        IndexName = "default",
        Index = 0,
        Text = id,
        Vector = vector.Length == 0 ? ReadOnlyMemory<float>.Empty : Normalized(vector),
    };

    private static float[] Normalized(float[] vector)
    {
        var norm = MathF.Sqrt(vector.Sum(value => value * value));
        return vector.Select(value => value / norm).ToArray();
    }
}
