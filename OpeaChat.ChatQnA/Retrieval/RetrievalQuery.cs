using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>A request's retrieval fields, checked, with OPEA's defaults filled in.</summary>
public sealed record RetrievalQuery
{
    public string IndexName { get; init; } = RetrievalDefaults.IndexName;
    public int K { get; init; } = RetrievalDefaults.K;
    public int FetchK { get; init; } = RetrievalDefaults.FetchK;
    public string SearchType { get; init; } = RetrievalDefaults.Similarity;
    public double? DistanceThreshold { get; init; }
    public double ScoreThreshold { get; init; } = RetrievalDefaults.ScoreThreshold;
    public double LambdaMult { get; init; } = RetrievalDefaults.LambdaMult;
    public int TopN { get; init; } = RetrievalDefaults.TopN;

    /// <summary>The RAG template (<c>{context}</c> and <c>{question}</c>); null: the built-in <c>opea-chatqna</c> prompt.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// The query of <paramref name="fields"/> with <paramref name="indexName"/> (the request's, else the conversation's),
    /// or the first field that does not fit as (field, message).
    /// </summary>
    public static (RetrievalQuery? Query, (string Field, string Message)? Problem) From(IRetrievalParameters fields, string? indexName, int maxCandidates)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (IndexNames.Problem(indexName) is { } indexProblem)
        {
            return (null, ("index_name", indexProblem));
        }

        foreach (var (name, value) in new[] { ("k", fields.K), ("fetch_k", fields.FetchK), ("top_n", fields.TopN) })
        {
            if (value is { } count && (count < 1 || count > maxCandidates))
            {
                return (null, (name, $"{name} must be an integer from 1 to {maxCandidates}."));
            }
        }

        if (fields.SearchType is { } searchType && !RetrievalDefaults.SearchTypes.Contains(searchType))
        {
            return (null, ("search_type", $"search_type must be one of {string.Join(", ", RetrievalDefaults.SearchTypes)}."));
        }

        if (fields.DistanceThreshold is < 0 or > 2 || fields.DistanceThreshold is { } distance && double.IsNaN(distance))
        {
            return (null, ("distance_threshold", "distance_threshold must be a cosine distance from 0 to 2."));
        }

        if (fields.ScoreThreshold is < 0 or > 1 || fields.ScoreThreshold is { } score && double.IsNaN(score))
        {
            return (null, ("score_threshold", "score_threshold must be from 0 to 1."));
        }

        if (fields.LambdaMult is < 0 or > 1 || fields.LambdaMult is { } lambda && double.IsNaN(lambda))
        {
            return (null, ("lambda_mult", "lambda_mult must be from 0 to 1."));
        }

        if (fields.SearchType == RetrievalDefaults.SimilarityDistanceThreshold && fields.DistanceThreshold is null)
        {
            return (null, ("distance_threshold", "search_type similarity_distance_threshold needs distance_threshold."));
        }

        if (fields.ChatTemplate is { } template && (!template.Contains("{context}", StringComparison.Ordinal) || !template.Contains("{question}", StringComparison.Ordinal)))
        {
            return (null, ("chat_template", "chat_template must contain {context} and {question}."));
        }

        var k = fields.K ?? RetrievalDefaults.K;
        return (new RetrievalQuery
        {
            IndexName = IndexNames.OrDefault(indexName),
            K = k,
            // At least k candidates, so that k can be chosen from them.
            FetchK = Math.Max(fields.FetchK ?? RetrievalDefaults.FetchK, k),
            SearchType = fields.SearchType ?? RetrievalDefaults.Similarity,
            DistanceThreshold = fields.DistanceThreshold,
            ScoreThreshold = fields.ScoreThreshold ?? RetrievalDefaults.ScoreThreshold,
            LambdaMult = fields.LambdaMult ?? RetrievalDefaults.LambdaMult,
            TopN = fields.TopN ?? RetrievalDefaults.TopN,
            ChatTemplate = fields.ChatTemplate,
        }, null);
    }
}
