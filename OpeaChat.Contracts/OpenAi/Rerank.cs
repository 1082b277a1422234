namespace OpeaChat.Contracts.OpenAi;

// llama-server's /v1/rerank (also Jina's and Cohere's shape): score each document against the query.

public sealed record RerankRequest
{
    public string? Model { get; init; }
    public string? Query { get; init; }
    public IReadOnlyList<string>? Documents { get; init; }

    /// <summary>How many of the best results to return; null: all, best first.</summary>
    public int? TopN { get; init; }
}

public sealed record RerankResponse
{
    public string Object { get; init; } = "list";
    public required string Model { get; init; }

    /// <summary>Best first; <see cref="RerankResult.Index"/> points into the request's documents.</summary>
    public required IReadOnlyList<RerankResult> Results { get; init; }
    public required Usage Usage { get; init; }
}

public sealed record RerankResult(int Index, double RelevanceScore);
