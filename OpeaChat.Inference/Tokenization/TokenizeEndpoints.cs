using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Models;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Tokenization;

/// <summary>
/// llama-server's <c>POST /tokenize</c> on the default (chat) model, so the gateway can measure a RAG prompt in the
/// tokens that count against the context instead of guessing from characters.
/// </summary>
public static class TokenizeEndpoints
{
    public static IEndpointRouteBuilder MapTokenizeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/").WithTags("Tokenize")
            .MapPost("/tokenize", TokenizeAsync)
            .WithName("Tokenize")
            .WithSummary("The default model's token ids for a text (llama-server's shape; special tokens in the text are parsed).");
        return app;
    }

    private static async Task<Results<JsonHttpResult<TokenizeResponse>, OpenAiErrorResult>> TokenizeAsync(
        HttpContext httpContext, ModelManager models, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
    {
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, OpenAiJsonContext.Default.TokenizeRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        if (request!.Content is null)
        {
            return OpenAiErrors.InvalidRequest("'content' is required: the text to tokenize.", "content", "missing_required_parameter");
        }

        var (model, unavailable) = ModelAvailability.Resolve(models, null);
        if (unavailable is not null)
        {
            return unavailable;
        }

        var tokens = model!.Tokenize(request.Content, addBos: request.AddSpecial ?? true);
        return TypedResults.Json(new TokenizeResponse { Tokens = tokens.Select(token => (int)token).ToArray() }, OpenAiJsonContext.Default.TokenizeResponse);
    }
}
