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
            .WithSummary("OpenAI-compatible embeddings from the requested (or configured embedding, or default) model.");
        return app;
    }

    private static async Task<IResult> CreateEmbeddingsAsync(HttpContext httpContext, ModelManager models, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
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

        var (model, unavailable) = ModelAvailability.Resolve(models, request.Model ?? options.Value.EmbeddingModel);
        if (unavailable is not null)
        {
            return unavailable;
        }

        var tokens = 0;
        for (var i = 0; i < input.Values.Count; i++)
        {
            var count = model!.Tokenize(input.Values[i]).Count;
            if (count >= model.SequenceContextSize)
            {
                return OpenAiErrors.InvalidRequest(
                    $"input[{i}] has {count} tokens, but at most {model.SequenceContextSize} fit the embedding context.", $"input[{i}]", "context_length_exceeded");
            }

            tokens += count;
        }

        var vectors = await model!.EmbedAsync(input.Values, cancellationToken);
        return TypedResults.Json(new EmbeddingResponse
        {
            Data = vectors.Select((vector, index) => new EmbeddingData { Index = index, Embedding = vector }).ToArray(),
            Model = model.Id,
            Usage = new Usage { PromptTokens = tokens, TotalTokens = tokens },
        }, OpenAiJsonContext.Default.EmbeddingResponse);
    }
}
