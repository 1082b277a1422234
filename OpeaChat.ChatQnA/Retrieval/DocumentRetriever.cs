using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Accounts;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// OPEA's retriever and reranker nodes: BM25 and vector search of one collection, fused by reciprocal rank fusion,
/// cut by the request's search type (thresholds, or MMR for diversity), then reranked when inference has a reranker
/// (top_n kept) — or, without one, the k best as they are, as OPEA's graph without its rerank node.
/// </summary>
public sealed partial class DocumentRetriever(
    IDocumentStore store, IEmbeddingGenerator<string, Embedding<float>> embeddings, RetrievalModelsClient models,
    IOptions<RetrievalOptions> options, RetrievalTelemetry telemetry, ILogger<DocumentRetriever> logger)
{
    /// <summary>The chunks to answer <paramref name="question"/> from, best first; empty when the collection has none above the thresholds.</summary>
    public async Task<IReadOnlyList<RetrievedSource>> RetrieveAsync(string question, RetrievalQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = RetrievalTelemetry.Start("retrieve");
        activity?.SetTag("index_name", query.IndexName);
        activity?.SetTag("search_type", query.SearchType);
        var started = Stopwatch.GetTimestamp();
        // A person's own collection of this name and the shared one: each searched as it is, their ranks fused together.
        var collections = DocumentCollections.Searched(query.IndexName, OwnerScope.Current);
        var searched = 0;
        foreach (var collection in collections)
        {
            searched += await store.CountChunksAsync(collection, cancellationToken);
        }

        activity?.SetTag("chunks_searched", searched);
        if (searched == 0 || string.IsNullOrWhiteSpace(question))
        {
            return [];
        }

        var textHits = new List<IReadOnlyList<ScoredChunk>>(collections.Count);
        using (RetrievalTelemetry.Start("retrieve.bm25"))
        {
            foreach (var collection in collections)
            {
                textHits.Add(await store.SearchTextAsync(question, collection, query.FetchK, cancellationToken));
            }
        }

        var (queryVector, vectorHits) = await SearchVectorsAsync(question, collections, query, cancellationToken);
        var fused = ReciprocalRankFusion.Fuse([.. textHits, .. vectorHits], options.Value.RrfConstant);
        var candidates = ApplySearchType(fused, queryVector, query);
        activity?.SetTag("candidates", candidates.Count);

        var sources = await RerankAsync(question, candidates, query, cancellationToken);
        telemetry.RecordRetrieval(Stopwatch.GetElapsedTime(started), query.IndexName, searched, query.SearchType);
        activity?.SetTag("sources", sources.Count);
        return sources;
    }

    private async Task<(float[]? Vector, IReadOnlyList<IReadOnlyList<ScoredChunk>> Hits)> SearchVectorsAsync(
        string question, IReadOnlyList<string> collections, RetrievalQuery query, CancellationToken cancellationToken)
    {
        using var activity = RetrievalTelemetry.Start("retrieve.vector");
        try
        {
            var generated = await embeddings.GenerateAsync([question],
                new EmbeddingGenerationOptions { ModelId = NullIfEmpty(options.Value.EmbeddingModel) }, cancellationToken);
            var vector = Vectors.Normalized(generated[0].Vector.ToArray());
            var hits = new List<IReadOnlyList<ScoredChunk>>(collections.Count);
            foreach (var collection in collections)
            {
                hits.Add(await store.SearchVectorAsync(vector, collection, query.FetchK, cancellationToken));
            }

            return (vector, hits);
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or ArgumentException)
        {
            // Full text still answers: a question is better served by BM25 alone than by an error.
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            LogVectorSearchFailed(logger, exception, query.IndexName);
            return (null, []);
        }
    }

    /// <summary>The k chunks to keep: by fused rank (similarity), above a threshold of cosine relevance, or by MMR.</summary>
    private static IReadOnlyList<ScoredChunk> ApplySearchType(IReadOnlyList<ScoredChunk> fused, float[]? queryVector, RetrievalQuery query)
    {
        if (queryVector is null)
        {
            // Without a query vector there is no cosine to cut on or diversify by.
            return fused.Take(query.K).ToList();
        }

        double Relevance(ScoredChunk hit) => hit.Chunk.Vector.Length == queryVector.Length
            ? TensorPrimitives.CosineSimilarity(queryVector, hit.Chunk.Vector.Span)
            : 0;

        return query.SearchType switch
        {
            RetrievalDefaults.SimilarityScoreThreshold => fused.Where(hit => Relevance(hit) >= query.ScoreThreshold).Take(query.K).ToList(),
            RetrievalDefaults.SimilarityDistanceThreshold => fused.Where(hit => 1 - Relevance(hit) <= query.DistanceThreshold).Take(query.K).ToList(),
            RetrievalDefaults.Mmr => MaximalMarginalRelevance.Select(fused, queryVector, query.K, query.LambdaMult),
            _ => fused.Take(query.K).ToList(),
        };
    }

    private async Task<IReadOnlyList<RetrievedSource>> RerankAsync(string question, IReadOnlyList<ScoredChunk> candidates, RetrievalQuery query, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            return [];
        }

        if (options.Value.Rerank)
        {
            using var activity = RetrievalTelemetry.Start("rerank");
            try
            {
                var results = await models.RerankAsync(NullIfEmpty(options.Value.RerankModel), question,
                    candidates.Select(hit => hit.Chunk.Text).ToList(), Math.Min(query.TopN, candidates.Count), cancellationToken);
                activity?.SetTag("reranker", results is not null);
                if (results is not null)
                {
                    return results
                        .Where(result => result.Index >= 0 && result.Index < candidates.Count)
                        .OrderByDescending(result => result.RelevanceScore)
                        .Take(query.TopN)
                        .Select(result => ToSource(candidates[result.Index].Chunk, result.RelevanceScore))
                        .ToList();
                }
            }
            catch (HttpRequestException exception)
            {
                activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
                LogRerankFailed(logger, exception);
            }
        }

        return candidates.Select(hit => ToSource(hit.Chunk, hit.Score)).ToList();
    }

    private static RetrievedSource ToSource(StoredChunk chunk, double score) => new()
    {
        Id = chunk.Id,
        Document = chunk.DocumentName,
        DocumentId = chunk.DocumentId.ToString(),
        IndexName = DocumentCollections.PublicName(chunk.IndexName),
        Chunk = chunk.Index,
        Page = chunk.Page,
        Heading = chunk.Heading,
        Score = Math.Round(score, 6),
        Text = chunk.Text,
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Vector search of collection {IndexName} failed; answering from full-text search alone")]
    private static partial void LogVectorSearchFailed(ILogger logger, Exception exception, string indexName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reranking failed; the retrieved chunks are used in their search order")]
    private static partial void LogRerankFailed(ILogger logger, Exception exception);
}
