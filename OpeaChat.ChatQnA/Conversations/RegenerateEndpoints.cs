using System.Text.Json;
using OpeaChat.ChatQnA.ChatQnA;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.OpenAi;

namespace OpeaChat.ChatQnA.Conversations;

public static class RegenerateEndpoints
{
    public static IEndpointRouteBuilder MapRegenerateEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/conversations").WithTags("Conversations")
            .MapPost("/{id}/messages/{messageId}/regenerate", RegenerateAsync)
            .WithName("RegenerateReply")
            .WithSummary("A new reply to a stored message (an assistant reply is kept as a sibling); streamed in OpenAI's format unless stream is false.")
            .Accepts<ChatCompletionRequest>(isOptional: true, "application/json")
            .Produces<ChatCompletionResponse>();
        return app;
    }

    /// <summary>
    /// The optional body takes OpenAI's generation fields (stream, max_tokens, temperature, seed, model, …); its
    /// messages are ignored, since the history comes from the conversation.
    /// </summary>
    private static async Task<IResult> RegenerateAsync(
        string id, string messageId, HttpContext httpContext, ChatService chat, ChatMemory memory, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!ConversationErrors.TryParseId(id, "conversation_id", out var conversationId, out var badConversation))
        {
            return badConversation!;
        }

        if (!ConversationErrors.TryParseId(messageId, "message_id", out var replyTo, out var badMessage))
        {
            return badMessage!;
        }

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

        PreparedChat prepared;
        try
        {
            prepared = await memory.PrepareRegenerationAsync(conversationId, replyTo, overrides with { Messages = null, Stream = overrides.Stream ?? true }, cancellationToken);
        }
        catch (ConversationStoreException exception)
        {
            return exception.ToResult();
        }

        ChatQnAEndpoints.SetConversationHeaders(httpContext.Response, prepared.Turn);
        return await OpenAiEndpoints.AnswerAsync(httpContext, chat, prepared.Request, prepared.Turn,
            loggerFactory.CreateLogger(typeof(RegenerateEndpoints)), OpeaErrors.FromInference, cancellationToken);
    }
}
