using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// Inference's model endpoints that retrieval uses besides embeddings: <c>/v1/rerank</c> and <c>/tokenize</c>
/// (llama-server's shapes, so llama-server can stand in). Both are optional there: a server without them (404, 501)
/// means "no reranking" and "estimate the tokens".
/// </summary>
public sealed partial class RetrievalModelsClient(HttpClient httpClient, ILogger<RetrievalModelsClient> logger)
{
    /// <summary>Relevance scores of <paramref name="documents"/> for <paramref name="query"/>, best first; null when inference has no reranker.</summary>
    public async Task<IReadOnlyList<RerankResult>?> RerankAsync(string? model, string query, IReadOnlyList<string> documents, int topN, CancellationToken cancellationToken)
    {
        using var response = await httpClient.PostAsJsonAsync("v1/rerank",
            new RerankRequest { Model = model, Query = query, Documents = documents, TopN = topN }, OpenAiJsonContext.Default.RerankRequest, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.NotImplemented)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Inference's /v1/rerank answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
        }

        var answer = await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.RerankResponse, cancellationToken);
        return answer?.Results ?? [];
    }

    /// <summary>How many tokens the default model makes of <paramref name="text"/>; an estimate when inference cannot tokenize.</summary>
    public async Task<int> CountTokensAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await httpClient.PostAsJsonAsync("tokenize", new TokenizeRequest(text, AddSpecial: false), TokenizeJsonContext.Default.TokenizeRequest, cancellationToken);
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync(TokenizeJsonContext.Default.TokenizeResponse, cancellationToken) is { Tokens: { } tokens })
            {
                return tokens.Count;
            }

            LogTokenizeUnavailable(logger, (int)response.StatusCode);
        }
        catch (HttpRequestException exception)
        {
            LogTokenizeUnavailable(logger, (int?)exception.StatusCode ?? 0);
        }

        // About four characters a token for English text: a safe side of most tokenizers' averages.
        return (text.Length + 2) / 3;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Inference could not tokenize ({StatusCode}); the RAG prompt's size is estimated from its characters")]
    private static partial void LogTokenizeUnavailable(ILogger logger, int statusCode);
}

/// <summary>llama-server's <c>POST /tokenize</c> body and answer.</summary>
public sealed record TokenizeRequest(string Content, bool AddSpecial);

public sealed record TokenizeResponse(IReadOnlyList<int>? Tokens);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TokenizeRequest))]
[JsonSerializable(typeof(TokenizeResponse))]
internal sealed partial class TokenizeJsonContext : JsonSerializerContext;
