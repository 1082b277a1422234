namespace OpeaChat.Contracts.Retrieval;

/// <summary>
/// One chunk that an answer was built from (OpeaChat's own: OPEA sends no sources). Sent first in a streamed
/// <c>/v1/chatqna</c> answer as <c>event: sources</c>, in a non-streamed one as <c>sources</c>, by the OpenAI door as
/// the extension field <c>sources</c>, and stored with the reply (<c>GET …/messages</c>, exports).
/// </summary>
public sealed record RetrievedSource
{
    /// <summary>The chunk's id in the document store.</summary>
    public required string Id { get; init; }

    /// <summary>The document's name: the uploaded file name or the link.</summary>
    public required string Document { get; init; }

    /// <summary>The document's id (as <c>/v1/dataprep/get</c> lists it).</summary>
    public string? DocumentId { get; init; }

    public required string IndexName { get; init; }

    /// <summary>The chunk's place in its document, from 0.</summary>
    public int Chunk { get; init; }

    /// <summary>The page the chunk starts on (PDF), from 1; null where a format has no pages.</summary>
    public int? Page { get; init; }

    /// <summary>The heading the chunk falls under, if the document has headings.</summary>
    public string? Heading { get; init; }

    /// <summary>The relevance used for the final order: the reranker's score when one ran, else the fused search score.</summary>
    public double Score { get; init; }

    public required string Text { get; init; }
}

/// <summary>
/// The retrieval fields of OPEA's ChatQnA request (GenAIComps' <c>ChatCompletionRequest</c> / retriever parameters),
/// shared by <c>/v1/chatqna</c> and the gateway's OpenAI door (where they are OpeaChat's extension).
/// </summary>
public interface IRetrievalParameters
{
    /// <summary>Chunks that fill the prompt (OPEA's <c>k</c>, default 4).</summary>
    int? K { get; }

    /// <summary>Candidates fetched before diversifying or reranking (OPEA's <c>fetch_k</c>, default 20).</summary>
    int? FetchK { get; }

    /// <summary><c>similarity</c> (default), <c>similarity_distance_threshold</c>, <c>similarity_score_threshold</c> or <c>mmr</c>.</summary>
    string? SearchType { get; }

    /// <summary>With <c>similarity_distance_threshold</c>: the largest cosine distance (1 - cosine similarity) kept.</summary>
    double? DistanceThreshold { get; }

    /// <summary>With <c>similarity_score_threshold</c>: the smallest relevance kept (OPEA's default 0.2).</summary>
    double? ScoreThreshold { get; }

    /// <summary>With <c>mmr</c>: 1 = pure relevance, 0 = pure diversity (OPEA's default 0.5).</summary>
    double? LambdaMult { get; }

    /// <summary>Chunks kept after reranking (OPEA's reranker <c>top_n</c>, default 1).</summary>
    int? TopN { get; }

    /// <summary>The collection searched; null or empty: the default collection.</summary>
    string? IndexName { get; }

    /// <summary>A RAG template with <c>{context}</c> and <c>{question}</c>; null: the built-in <c>opea-chatqna</c> prompt.</summary>
    string? ChatTemplate { get; }
}

/// <summary>The values OPEA's services use when a request leaves a retrieval field out.</summary>
public static class RetrievalDefaults
{
    public const int K = 4;
    public const int FetchK = 20;
    public const double ScoreThreshold = 0.2;
    public const double LambdaMult = 0.5;
    public const int TopN = 1;

    /// <summary>The collection used when a request names none.</summary>
    public const string IndexName = "default";

    /// <summary>OPEA's reserved name: every collection (get, delete).</summary>
    public const string AllIndexes = "all";

    public const string Similarity = "similarity";
    public const string SimilarityDistanceThreshold = "similarity_distance_threshold";
    public const string SimilarityScoreThreshold = "similarity_score_threshold";
    public const string Mmr = "mmr";

    public static readonly IReadOnlyList<string> SearchTypes = [Similarity, SimilarityDistanceThreshold, SimilarityScoreThreshold, Mmr];
}

/// <summary>The sources as a JSON array in snake_case: the <c>event: sources</c> data, and how a reply keeps them in the database.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<RetrievedSource>))]
public sealed partial class RetrievalJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
