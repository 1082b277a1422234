using Microsoft.Extensions.Options;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Models;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Embeddings;

public static class EmbeddingsEndpoints
{
    public const int MaxInputs = 256;

    public static IEndpointRouteBuilder MapEmbeddingsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1").WithTags("OpenAI")
            .MapPost("/embeddings", CreateEmbeddingsAsync)
            .WithName("CreateEmbeddings")
            .WithSummary("OpenAI-compatible embeddings from the requested (or configured embedding, or default) model; many inputs are embedded together in few decodes.");
        return app;
    }

    private static async Task<IResult> CreateEmbeddingsAsync(HttpContext httpContext, EmbeddingService embeddings, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
    {
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, OpenAiJsonContext.Default.EmbeddingRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        if (request!.Input is not { Values.Count: > 0 } input)
        {
            return OpenAiErrors.InvalidRequest("'input' is required: a string or a list of strings.", "input", "missing_required_parameter");
        }

        if (input.Values.Count > MaxInputs)
        {
            return OpenAiErrors.InvalidRequest($"At most {MaxInputs} inputs per request; got {input.Values.Count}.", "input");
        }

        if (request.EncodingFormat is not (null or "float"))
        {
            return OpenAiErrors.InvalidRequest("Only encoding_format \"float\" is supported.", "encoding_format", "unsupported_value");
        }

        var (embedder, unavailable) = await embeddings.ResolveAsync(request.Model, cancellationToken);
        if (unavailable is not null)
        {
            return unavailable;
        }

        // Every input is measured before any is embedded: one that does not fit fails the request unless it asks to be cut.
        var tokenized = new IReadOnlyList<LLama.Native.LLamaToken>[input.Values.Count];
        var tokens = 0;
        for (var i = 0; i < input.Values.Count; i++)
        {
            tokenized[i] = embedder!.Tokenize(input.Values[i]);
            if (request.Truncate == true)
            {
                tokenized[i] = embedder.Truncate(tokenized[i]);
            }

            var count = tokenized[i].Count;
            if (count > embedder.MaxInputTokens)
            {
                return OpenAiErrors.InvalidRequest(
                    $"input[{i}] has {count} tokens, but at most {embedder.MaxInputTokens} fit the embedding context (\"truncate\": true cuts it).", $"input[{i}]", "context_length_exceeded");
            }

            if (count == 0)
            {
                return OpenAiErrors.InvalidRequest($"input[{i}] is empty: it has no tokens to embed.", $"input[{i}]");
            }

            tokens += count;
        }

        var vectors = await embedder!.EmbedAsync(tokenized, cancellationToken);
        return TypedResults.Json(new EmbeddingResponse
        {
            Data = vectors.Select((vector, index) => new EmbeddingData { Index = index, Embedding = vector }).ToArray(),
            Model = embedder.Id,
            Usage = new Usage { PromptTokens = tokens, TotalTokens = tokens },
        }, OpenAiJsonContext.Default.EmbeddingResponse);
    }
}
