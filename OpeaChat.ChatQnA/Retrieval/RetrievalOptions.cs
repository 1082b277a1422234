using System.ComponentModel.DataAnnotations;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>How questions are answered from the ingested documents; bound from <c>ChatQnA:Retrieval</c>.</summary>
public sealed class RetrievalOptions
{
    public const string SectionName = "ChatQnA:Retrieval";

    /// <summary>Off: every door answers from the model alone, whatever a request asks.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The embedding model named in <c>/v1/embeddings</c> requests; empty: inference's <c>Inference:EmbeddingModel</c>.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>The reranker named in <c>/v1/rerank</c> requests; empty: inference's <c>Inference:RerankModel</c>.</summary>
    public string? RerankModel { get; set; }

    /// <summary>Rerank the retrieved chunks when inference has a reranker (OPEA's graph with its rerank node).</summary>
    public bool Rerank { get; set; } = true;

    /// <summary>Reciprocal rank fusion's constant: each list adds 1 / (constant + rank) to a chunk's score (60 in the RRF paper).</summary>
    [Range(1, 10_000)]
    public int RrfConstant { get; set; } = 60;

    /// <summary>The most prompt tokens the retrieved chunks may take, at most half the model's context per request.</summary>
    [Range(64, 1_048_576)]
    public int MaxContextTokens { get; set; } = 3072;

    /// <summary>The largest <c>k</c>, <c>fetch_k</c> and <c>top_n</c> a request may ask for.</summary>
    [Range(1, 1_000)]
    public int MaxCandidates { get; set; } = 100;
}
