using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.ServiceDefaults.OpenAi;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.ChatQnA.Completions;

/// <summary>
/// The gateway's OpenAI door: the same wire format as the inference service, so OpenAI clients get the gateway's
/// protection, caching and (with <c>conversation_id</c>) memory.
/// </summary>
public static partial class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapOpenAiEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("OpenAI").WithStoreErrors(FromStore);
        v1.MapPost("/chat/completions", CreateChatCompletionAsync)
            .WithName("GatewayChatCompletion")
            .WithSummary("OpenAI-compatible chat completion through the gateway.")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletionResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
        v1.MapGet("/models", ListModelsAsync)
            .WithName("GatewayListModels")
            .WithSummary("The models inference serves, with their metadata.");
        return app;
    }

    private static async Task<IResult> CreateChatCompletionAsync(
        HttpContext httpContext, ChatService chat, ChatMemory memory, RunningReplies running, IOptions<ChatQnAOptions> options,
        IOptions<RetrievalOptions> retrievalOptions, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ChatCompletionRequest? request;
        try
        {
            // Read whatever the content type says, as OpenAI's own server does.
            using var body = new MemoryStream();
            await httpContext.Request.Body.CopyToAsync(body, cancellationToken);
            request = JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), OpenAiJsonContext.Default.ChatCompletionRequest);
        }
        catch (JsonException exception)
        {
            return OpenAiJsonError(exception);
        }

        if (request is null)
        {
            return OpenAiErrors.InvalidRequest("The request body must be a JSON object.", null, "invalid_json");
        }

        // Checked before anything is stored: a refused request writes nothing.
        var (plan, problem) = RetrievalPlanFor(request, retrievalOptions.Value);
        if (problem is { } retrievalProblem)
        {
            return OpenAiErrors.InvalidRequest(retrievalProblem.Message, retrievalProblem.Field);
        }

        if (ContinueOnDisconnectProblem(request, conversation: request.ConversationId is not null) is { } continueProblem)
        {
            return OpenAiErrors.InvalidRequest(continueProblem, "continue_on_disconnect");
        }

        // The gateway's own fields (conversation_id, prompt_id, variables) stay here; OpenAI's go on to inference.
        var fields = new MemoryFields { ConversationId = request.ConversationId, PromptId = request.PromptId, Variables = request.Variables };
        var continuesWithoutClient = request.ContinueOnDisconnect == true;
        request = request with { ConversationId = null, PromptId = null, Variables = null, ContinueOnDisconnect = null };

        var prepared = await memory.PrepareAsync(request, fields, cancellationToken, plan);
        request = prepared.Request;
        if (string.IsNullOrEmpty(request.Model) && options.Value.DefaultModel is { } model)
        {
            request = request with { Model = model };
        }

        var logger = loggerFactory.CreateLogger(typeof(OpenAiEndpoints));
        return await AnswerAsync(httpContext, chat, running, request, prepared.Turn, prepared.Sources, continuesWithoutClient, logger, FromInference, cancellationToken);
    }

    /// <summary>
    /// <c>continue_on_disconnect</c> (OpeaChat's extension) keeps a stored, streamed reply generating after its client
    /// leaves; anywhere else it could not be followed or kept, so it is refused rather than ignored.
    /// </summary>
    internal static string? ContinueOnDisconnectProblem(ChatCompletionRequest request, bool conversation) =>
        request.ContinueOnDisconnect != true ? null
        : !conversation ? "continue_on_disconnect needs conversation_id: only a reply stored in a conversation can be followed after its client leaves."
        : request.Stream != true ? "continue_on_disconnect needs stream: true."
        : null;

    /// <summary>
    /// Retrieval on this door (and for regenerations): off unless the request's <c>use_documents</c> or the
    /// conversation's setting turns it on; or the retrieval field that does not fit.
    /// </summary>
    internal static (RetrievalPlan? Plan, (string Field, string Message)? Problem) RetrievalPlanFor(ChatCompletionRequest request, RetrievalOptions options) =>
        RetrievalPlan.From(request, request.UseDocuments, doorDefault: false, options.MaxCandidates);

    /// <summary>
    /// Streams or answers a prepared chat in OpenAI's format and saves the reply to its conversation (if any);
    /// <paramref name="onRefused"/> shapes inference's refusals for the caller's contract.
    /// </summary>
    internal static async Task<IResult> AnswerAsync(
        HttpContext httpContext, ChatService chat, RunningReplies running, ChatCompletionRequest request, ConversationTurn? turn, IReadOnlyList<RetrievedSource> sources,
        bool continuesWithoutClient, ILogger logger, Func<InferenceException, IResult> onRefused, CancellationToken cancellationToken)
    {
        try
        {
            if (request.Stream == true)
            {
                var reply = await running.OpenAsync(chat, request, turn, continuesWithoutClient, cancellationToken);
                ChatQnAEndpoints.SetConversationHeaders(httpContext.Response, turn);
                return new OpenAiStreamResult(reply, request.StreamOptions?.IncludeUsage == true, sources, logger);
            }

            var (completion, trimmed) = await chat.CompleteAsync(request, cancellationToken);
            ChatQnAEndpoints.SetTrimmedTurns(httpContext.Response, trimmed);
            // Saved before the answer is sent: an answer that could not be kept is an error (507), not a 200.
            var message = completion.Choices[0].Message;
            await ChatQnAEndpoints.SaveAsync(turn, new ReplyState(message.Content?.Text ?? string.Empty, MessageStatuses.Complete,
                completion.Model, completion.Usage.PromptTokens, completion.Usage.CompletionTokens, ToolCalls: message.ToolCalls is { Count: > 0 } calls ? calls : null));
            ChatQnAEndpoints.SetConversationHeaders(httpContext.Response, turn);
            return TypedResults.Json(sources.Count > 0 ? completion with { Sources = sources } : completion, OpenAiJsonContext.Default.ChatCompletionResponse);
        }
        catch (InferenceException exception)
        {
            // Refused before anything was written: the conversation stays as it was.
            LogRefused(logger, (int)exception.StatusCode, exception.Message);
            return onRefused(exception);
        }
    }

    private static OpenAiErrorResult FromStore(ConversationStoreException exception) =>
        new(exception.Error switch
        {
            ConversationStoreError.ConversationNotFound or ConversationStoreError.MessageNotFound or ConversationStoreError.PromptNotFound => StatusCodes.Status404NotFound,
            ConversationStoreError.StorageFull => StatusCodes.Status507InsufficientStorage,
            ConversationStoreError.StorageReadOnly => StatusCodes.Status503ServiceUnavailable,
            ConversationStoreError.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        }, new ErrorBody
        {
            Message = exception.Message,
            Type = exception.Error is ConversationStoreError.StorageFull or ConversationStoreError.StorageReadOnly ? "server_error" : "invalid_request_error",
            Param = exception.Field,
            Code = exception.Code ?? exception.Error switch
            {
                ConversationStoreError.ConversationNotFound => "conversation_not_found",
                ConversationStoreError.PromptNotFound => "prompt_not_found",
                ConversationStoreError.MessageNotFound => "message_not_found",
                ConversationStoreError.StorageFull => "storage_full",
                ConversationStoreError.StorageReadOnly => "storage_read_only",
                ConversationStoreError.Conflict => "conflict",
                _ => "invalid_value",
            },
        });

    private static async Task<IResult> ListModelsAsync(InferenceClient inference, CancellationToken cancellationToken)
    {
        try
        {
            var (status, body) = await inference.GetModelsAsync(cancellationToken);
            return TypedResults.Text(System.Text.Encoding.UTF8.GetString(body), "application/json", System.Text.Encoding.UTF8, status);
        }
        catch (InferenceException exception)
        {
            return FromInference(exception);
        }
    }

    internal static OpenAiErrorResult FromInference(InferenceException exception) =>
        new((int)exception.StatusCode, new ErrorBody
        {
            Message = exception.Message,
            Type = (int)exception.StatusCode switch
            {
                StatusCodes.Status429TooManyRequests => "rate_limit_error",
                >= 500 => "unavailable_error",
                _ => "invalid_request_error",
            },
            Param = exception.Param,
            Code = exception.Code,
        }, exception.RetryAfter);

    /// <summary>Relays inference's chunks in OpenAI's streaming format; a failure part-way ends with an error event.</summary>
    internal sealed class OpenAiStreamResult(RunningReply reply, bool includeUsage, IReadOnlyList<RetrievedSource> sources, ILogger logger, bool fromStart = true)
        : RelayedReplyResult(reply, logger, fromStart)
    {
        private bool _sourcesSent = sources.Count == 0;

        /// <summary>The sources ride on the first chunk, as OpeaChat's extension field, so OpenAI clients need no new event.</summary>
        protected override IEnumerable<SseItem<string>> EventsFor(ChatCompletionChunk chunk)
        {
            if (!_sourcesSent)
            {
                _sourcesSent = true;
                chunk = chunk with { Sources = sources };
            }

            // The gateway always asks for usage (to store it); the client gets it only if it asked.
            if (chunk.Choices.Count > 0 || chunk.Usage is null || includeUsage)
            {
                yield return EventStream.Data(JsonSerializer.Serialize(chunk, OpenAiJsonContext.Default.ChatCompletionChunk));
            }
        }

        protected override SseItem<string> ErrorEvent(string message, string code)
        {
            var error = new ErrorResponse(new ErrorBody { Message = message, Type = "server_error", Code = code });
            return EventStream.Data(JsonSerializer.Serialize(error, OpenAiJsonContext.Default.ErrorResponse));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inference refused the request with {StatusCode}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int statusCode, string reason);

    /// <summary>OpenAI's 400 naming the field as a JSON path (<c>messages[0].content</c>), never a .NET type name.</summary>
    internal static OpenAiErrorResult OpenAiJsonError(JsonException exception)
    {
        var problem = ServiceDefaults.Security.JsonErrors.Describe(exception);
        return problem.Field is null
            ? OpenAiErrors.InvalidRequest(problem.Message, null, "invalid_json")
            : OpenAiErrors.InvalidRequest($"Invalid value for '{problem.Field}': {problem.Message}", problem.Field, "invalid_type");
    }
}
