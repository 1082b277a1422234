using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.ChatQnA.Opea;

public static partial class ChatQnAEndpoints
{
    public static IEndpointRouteBuilder MapChatQnAEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("ChatQnA").WithOpeaStoreErrors();
        v1.MapPost("/chatqna", ChatAsync)
            .WithName("ChatQnA")
            .WithSummary("OPEA ChatQnA: answer a chat, streamed in OPEA's format by default.");
        v1.MapGet("/health_check", HealthCheck)
            .WithName("HealthCheck")
            .WithSummary("OPEA's service description.");
        return app;
    }

    private static Ok<Dictionary<string, string>> HealthCheck() => TypedResults.Ok(new Dictionary<string, string>
    {
        ["Service Title"] = "ChatQnAService",
        ["Service Description"] = "OPEA Microservice Infrastructure",
        ["Version"] = typeof(ChatQnAEndpoints).Assembly.GetName().Version?.ToString() ?? "1.0.0",
    });

    private static async Task<IResult> ChatAsync(
        HttpContext httpContext, ChatService chat, ChatMemory memory, RunningReplies running, IOptions<ChatQnAOptions> options,
        IOptions<RetrievalOptions> retrievalOptions, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        OpeaChatRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(httpContext.Request.Body, OpeaJsonContext.Default.OpeaChatRequest, cancellationToken);
        }
        catch (JsonException exception)
        {
            return ConversationErrors.FromJsonException(exception);
        }

        if (request is null)
        {
            return OpeaErrors.Validation(string.Empty, "The request body must be a JSON object.", "json_invalid");
        }

        if (OpeaRequestMapper.Validate(request) is { } invalid)
        {
            return invalid;
        }

        // Checked before anything is stored: a refused request writes nothing.
        // OPEA's graph always retrieves; without documents (or above the threshold) the answer is plain chat.
        var (plan, problem) = RetrievalPlan.From(request, request.UseDocuments, doorDefault: true, retrievalOptions.Value.MaxCandidates);
        if (problem is { } retrievalProblem)
        {
            return OpeaErrors.Validation(retrievalProblem.Field, retrievalProblem.Message);
        }
        var prepared = await memory.PrepareAsync(OpeaRequestMapper.ToCompletionRequest(request, options.Value),
            new MemoryFields { ConversationId = request.ConversationId, PromptId = request.PromptId, Variables = request.Variables }, cancellationToken, plan);

        var completionRequest = OpeaRequestMapper.WithOpeaDefaults(prepared.Request, options.Value);
        var logger = loggerFactory.CreateLogger(typeof(ChatQnAEndpoints));
        try
        {
            if (request.Stream ?? true)
            {
                var reply = await running.OpenAsync(chat, completionRequest, prepared.Turn, continuesWithoutClient: false, cancellationToken);
                LogIfModelIgnored(logger, request, options.Value, reply.Model);
                SetConversationHeaders(httpContext.Response, prepared.Turn);
                return new OpeaStreamResult(reply, prepared.Sources, logger);
            }

            var (completion, trimmed) = await chat.CompleteAsync(completionRequest, cancellationToken);
            LogIfModelIgnored(logger, request, options.Value, completion.Model);
            SetTrimmedTurns(httpContext.Response, trimmed);
            var choice = completion.Choices[0];
            var text = choice.Message.Content?.Text ?? string.Empty;
            // Saved before the answer is sent: an answer that could not be kept is an error (507), not a 200.
            await SaveAsync(prepared.Turn, new ReplyState(text, MessageStatuses.Complete, completion.Model, completion.Usage.PromptTokens, completion.Usage.CompletionTokens));
            SetConversationHeaders(httpContext.Response, prepared.Turn);
            return TypedResults.Json(new OpeaChatResponse
            {
                Id = completion.Id,
                Created = completion.Created,
                Model = completion.Model,
                Choices = [new OpeaChoice { Message = new OpeaResponseMessage("assistant", text), FinishReason = choice.FinishReason }],
                Usage = new OpeaUsage
                {
                    PromptTokens = completion.Usage.PromptTokens,
                    CompletionTokens = completion.Usage.CompletionTokens,
                    TotalTokens = completion.Usage.TotalTokens,
                },
                Sources = prepared.Sources.Count > 0 ? prepared.Sources : null,
            }, OpeaJsonContext.Default.OpeaChatResponse);
        }
        catch (InferenceException exception)
        {
            // Refused before anything was written: the conversation stays as it was.
            LogInferenceRefused(logger, (int)exception.StatusCode, exception.Message);
            return OpeaErrors.FromInference(exception);
        }
    }

    /// <summary>Tells a client with memory which conversation and user message this exchange belongs to.</summary>
    internal static void SetConversationHeaders(HttpResponse response, ConversationTurn? turn)
    {
        if (turn is not null)
        {
            response.Headers[ConversationIdHeader] = turn.ConversationId.ToString();
            response.Headers[UserMessageIdHeader] = turn.UserMessageId.ToString();
            if (turn.ReplyId is { } replyId)
            {
                response.Headers[ReplyIdHeader] = replyId.ToString();
            }
        }
    }

    /// <summary>The named event that carries an answer's sources, before its text.</summary>
    public const string SourcesEvent = "sources";

    public const string ConversationIdHeader = ConversationHeaders.ConversationId;
    public const string UserMessageIdHeader = ConversationHeaders.UserMessageId;
    public const string ReplyIdHeader = ConversationHeaders.ReplyId;

    /// <summary>
    /// Opens the reply (inference accepted it once its first chunk came), then writes the turn: a refused request
    /// stores nothing, and a turn that cannot be written stops the reply before the client sees any of it.
    /// </summary>
    internal static async Task<ReplyStream> OpenAndBeginAsync(ChatService chat, ChatCompletionRequest request, ConversationTurn? turn, CancellationToken cancellationToken)
    {
        var reply = await chat.OpenStreamAsync(request, cancellationToken);
        if (turn is not null)
        {
            try
            {
                await turn.BeginAsync();
            }
            catch
            {
                await reply.DisposeAsync();
                throw;
            }
        }

        return reply;
    }

    internal static Task SaveAsync(ConversationTurn? turn, ReplyState state) => turn is null ? Task.CompletedTask : turn.SaveAsync(state);

    /// <summary>Saves how a streamed reply ended; returns the failure (logged), or null when it was saved.</summary>
    internal static async Task<Exception?> TrySaveAsync(ConversationTurn? turn, ReplyStream reply, ILogger logger)
    {
        if (turn is null)
        {
            return null;
        }

        var state = new ReplyState(reply.Text, reply.Status switch
        {
            ReplyStatus.Complete => MessageStatuses.Complete,
            ReplyStatus.Stopped => MessageStatuses.Stopped,
            _ => MessageStatuses.Failed,
        }, reply.Model, reply.Usage?.PromptTokens, reply.Usage?.CompletionTokens, reply.TokensPerSecond, reply.ToolCalls);
        try
        {
            await turn.SaveAsync(state);
            return null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogSaveFailed(logger, exception, turn.ConversationId);
            return exception;
        }
    }

    /// <summary>
    /// OPEA's stream: each text piece as <c>data: </c> + Python's repr of its UTF-8 bytes, then <c>data: [DONE]</c>.
    /// A failure part-way (or a reply that could not be saved) ends the stream with an <c>event: error</c> whose data
    /// is <c>{"detail": ...}</c>, and no [DONE].
    /// </summary>
    private sealed class OpeaStreamResult(RunningReply reply, IReadOnlyList<RetrievedSource> sources, ILogger logger)
        : RelayedReplyResult(reply, logger)
    {
        /// <summary>
        /// OpeaChat's sources come first, as a named event that OPEA's own clients skip (they read only data events);
        /// an answer without sources is OPEA's stream byte for byte.
        /// </summary>
        protected override IEnumerable<SseItem<string>> LeadingEvents() => sources.Count == 0
            ? []
            : [EventStream.Named(SourcesEvent, JsonSerializer.Serialize(sources, RetrievalJsonContext.Default.IReadOnlyListRetrievedSource))];

        protected override IEnumerable<SseItem<string>> EventsFor(ChatCompletionChunk chunk) =>
            chunk.Choices
                .Where(choice => !string.IsNullOrEmpty(choice.Delta.Content))
                .Select(choice => EventStream.Data(PythonBytesLiteral.Format(choice.Delta.Content!)));

        protected override SseItem<string> ErrorEvent(string message, string code)
        {
            LogStreamFailed(Logger, message);
            return EventStream.Named(ChatQnAStream.ErrorEvent, JsonSerializer.Serialize(new OpeaErrorDetail(message), OpeaJsonContext.Default.OpeaErrorDetail));
        }
    }

    /// <summary>Notes (at Debug) a request whose <c>model</c> was ignored and is not the model that answered.</summary>
    private static void LogIfModelIgnored(ILogger logger, OpeaChatRequest request, ChatQnAOptions options, string? answeringModel)
    {
        if (!options.StrictModel && !string.IsNullOrWhiteSpace(request.Model) && !string.Equals(request.Model, answeringModel, StringComparison.Ordinal))
        {
            LogModelIgnored(logger, request.Model, answeringModel);
        }
    }

    internal static void SetTrimmedTurns(HttpResponse response, int trimmedTurns)
    {
        if (trimmedTurns > 0)
        {
            response.Headers[ChatService.TrimmedTurnsHeader] = trimmedTurns.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inference refused the request with {StatusCode}: {Reason}")]
    private static partial void LogInferenceRefused(ILogger logger, int statusCode, string reason);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "/v1/chatqna ignored the requested model {RequestedModel} (ChatQnA:StrictModel is off); {AnsweringModel} answered")]
    private static partial void LogModelIgnored(ILogger logger, string requestedModel, string? answeringModel);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not save the reply of conversation {ConversationId}")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, Guid conversationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reply stream failed part-way: {Reason}")]
    private static partial void LogStreamFailed(ILogger logger, string reason);
}
