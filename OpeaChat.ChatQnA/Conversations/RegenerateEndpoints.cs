using System.Text.Json;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Conversations;

public static class RegenerateEndpoints
{
    public static IEndpointRouteBuilder MapRegenerateEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/conversations").WithTags("Conversations").WithOpeaStoreErrors()
            .MapPost("/{conversationId:guid}/messages/{messageId:guid}/regenerate", RegenerateAsync)
            .WithName("RegenerateReply")
            .WithSummary("A new reply to a stored message (an assistant reply is kept as a sibling); streamed in OpenAI's format unless stream is false.")
            // No Accepts metadata: the optional body is read whatever its content type, and Accepts would make routing
            // refuse a body-less POST beside the malformed-id route (which accepts any content type).
            .Produces<ChatCompletionResponse>();
        return app;
    }

    /// <summary>
    /// The optional body takes OpenAI's generation fields (stream, max_tokens, temperature, seed, model, …); its
    /// messages are ignored, since the history comes from the conversation.
    /// </summary>
    private static async Task<IResult> RegenerateAsync(
        Guid conversationId, Guid messageId, HttpContext httpContext, ChatService chat, ChatMemory memory, RunningReplies running, IOptions<RetrievalOptions> retrievalOptions,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ChatCompletionRequest overrides;
        try
        {
            using var body = new MemoryStream();
            await httpContext.Request.Body.CopyToAsync(body, cancellationToken);
            overrides = body.Length == 0
                ? new ChatCompletionRequest()
                : JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), OpenAiJsonContext.Default.ChatCompletionRequest) ?? new ChatCompletionRequest();
        }
        catch (JsonException exception)
        {
            return ConversationErrors.FromJsonException(exception);
        }

        var (plan, problem) = OpenAiEndpoints.RetrievalPlanFor(overrides, retrievalOptions.Value);
        if (problem is { } retrievalProblem)
        {
            return OpeaErrors.Validation(retrievalProblem.Field, retrievalProblem.Message);
        }

        overrides = overrides with { Messages = null, Stream = overrides.Stream ?? true };
        if (OpenAiEndpoints.ContinueOnDisconnectProblem(overrides, conversation: true) is { } continueProblem)
        {
            return OpeaErrors.Validation("continue_on_disconnect", continueProblem);
        }

        var continuesWithoutClient = overrides.ContinueOnDisconnect == true;
        var prepared = await memory.PrepareRegenerationAsync(conversationId, messageId, overrides with { ContinueOnDisconnect = null }, cancellationToken, plan);

        // Nothing is written unless inference accepts the request: a refused one keeps the old reply the active one.
        return await OpenAiEndpoints.AnswerAsync(httpContext, chat, running, prepared.Request, prepared.Turn, prepared.Sources, continuesWithoutClient,
            loggerFactory.CreateLogger(typeof(RegenerateEndpoints)), OpeaErrors.FromInference, cancellationToken);
    }
}
