using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Models;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Reranking;

/// <summary>llama-server's <c>POST /v1/rerank</c>: scores each document against the query with the configured reranker.</summary>
public static class RerankEndpoints
{
    public const int MaxDocuments = 256;

    public static IEndpointRouteBuilder MapRerankEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1").WithTags("Rerank")
            .MapPost("/rerank", RerankAsync)
            .WithName("Rerank")
            .WithSummary("Scores documents against a query with Inference:RerankModel, best first (llama-server's shape); 404 when no reranker is configured.");
        return app;
    }

    /// <summary>The 404 a gateway reads as "no reranker here: skip reranking", as OPEA's graph drops its rerank node.</summary>
    public static OpenAiErrorResult NoReranker() =>
        new(StatusCodes.Status404NotFound, new ErrorBody
        {
            Message = "No reranker is configured: set Inference:RerankModel to a reranker GGUF (for example bge-reranker-v2-m3) to serve /v1/rerank.",
            Type = "invalid_request_error",
            Param = "model",
            Code = "model_not_found",
        });

    private static async Task<Results<JsonHttpResult<RerankResponse>, OpenAiErrorResult>> RerankAsync(
        HttpContext httpContext, RerankService rerank, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
    {
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, OpenAiJsonContext.Default.RerankRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        if (Validate(request!) is { } invalid)
        {
            return invalid;
        }

        if (!rerank.Model.Configured)
        {
            return NoReranker();
        }

        var (reranker, unavailable) = await rerank.GetAsync(cancellationToken);
        if (unavailable is not null)
        {
            return unavailable;
        }

        var documents = request!.Documents!;
        var queryTokens = reranker!.CountTokens(request.Query!);
        var tokens = 0;
        for (var i = 0; i < documents.Count; i++)
        {
            // A pair that does not fit fails the request; it is never cut short.
            var pair = queryTokens + reranker.CountTokens(documents[i]);
            if (pair > reranker.MaxPairTokens)
            {
                return OpenAiErrors.InvalidRequest(
                    $"The query and documents[{i}] have {pair} tokens together, but at most {reranker.MaxPairTokens} fit the reranker's context.", $"documents[{i}]", "context_length_exceeded");
            }

            tokens += pair;
        }

        var scores = await reranker.ScoreAsync(request.Query!, documents, cancellationToken);
        var results = scores.Select((score, index) => new RerankResult(index, score))
            .OrderByDescending(result => result.RelevanceScore)
            .ThenBy(result => result.Index)
            .Take(request.TopN ?? documents.Count)
            .ToArray();
        return TypedResults.Json(new RerankResponse
        {
            Model = reranker.Id,
            Results = results,
            Usage = new Usage { PromptTokens = tokens, TotalTokens = tokens },
        }, OpenAiJsonContext.Default.RerankResponse);
    }

    private static OpenAiErrorResult? Validate(RerankRequest request)
    {
        if (string.IsNullOrEmpty(request.Query))
        {
            return OpenAiErrors.InvalidRequest("'query' is required: the text the documents are ranked against.", "query", "missing_required_parameter");
        }

        if (request.Documents is not { Count: > 0 } documents)
        {
            return OpenAiErrors.InvalidRequest("'documents' is required: a non-empty list of strings.", "documents", "missing_required_parameter");
        }

        if (documents.Count > MaxDocuments)
        {
            return OpenAiErrors.InvalidRequest($"At most {MaxDocuments} documents per request; got {documents.Count}.", "documents");
        }

        if (documents.Any(document => document is null))
        {
            return OpenAiErrors.InvalidRequest("Every document must be a string.", "documents");
        }

        return request.TopN is < 1
            ? OpenAiErrors.InvalidRequest($"'top_n' must be at least 1; got {request.TopN}.", "top_n")
            : null;
    }
}
