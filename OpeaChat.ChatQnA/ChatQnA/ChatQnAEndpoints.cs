using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Inference;
using OpeaChat.OpenAi;

namespace OpeaChat.ChatQnA.ChatQnA;

public static partial class ChatQnAEndpoints
{
    public static IEndpointRouteBuilder MapChatQnAEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("ChatQnA");
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
        HttpContext httpContext, ChatService chat, IOptions<ChatQnAOptions> options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        OpeaChatRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(httpContext.Request.Body, OpeaJsonContext.Default.OpeaChatRequest, cancellationToken);
        }
        catch (JsonException exception)
        {
            // A syntax error comes wrapped around the reader's own JsonException; a type error does not.
            return exception.Path is null or "$" || exception.InnerException is JsonException
                ? OpeaErrors.Validation(string.Empty, $"The request body is not valid JSON: {exception.Message}", "json_invalid")
                : OpeaErrors.Validation(exception.Path.TrimStart('$', '.'), exception.Message.Split(" Path:")[0], "type_error");
        }

        if (request is null)
        {
            return OpeaErrors.Validation(string.Empty, "The request body must be a JSON object.", "json_invalid");
        }

        if (OpeaRequestMapper.Validate(request) is { } invalid)
        {
            return invalid;
        }

        var completionRequest = OpeaRequestMapper.ToCompletionRequest(request, options.Value);
        var logger = loggerFactory.CreateLogger(typeof(ChatQnAEndpoints));
        try
        {
            if (request.Stream ?? true)
            {
                return new OpeaStreamResult(await chat.OpenStreamAsync(completionRequest, cancellationToken), logger);
            }

            var (completion, trimmed) = await chat.CompleteAsync(completionRequest, cancellationToken);
            SetTrimmedTurns(httpContext.Response, trimmed);
            var choice = completion.Choices[0];
            return TypedResults.Json(new OpeaChatResponse
            {
                Id = completion.Id,
                Created = completion.Created,
                Model = completion.Model,
                Choices = [new OpeaChoice { Message = new OpeaResponseMessage("assistant", choice.Message.Content?.Text ?? string.Empty), FinishReason = choice.FinishReason }],
                Usage = new OpeaUsage
                {
                    PromptTokens = completion.Usage.PromptTokens,
                    CompletionTokens = completion.Usage.CompletionTokens,
                    TotalTokens = completion.Usage.TotalTokens,
                },
            }, OpeaJsonContext.Default.OpeaChatResponse);
        }
        catch (InferenceException exception)
        {
            LogInferenceRefused(logger, (int)exception.StatusCode, exception.Message);
            return OpeaErrors.FromInference(exception);
        }
    }

    /// <summary>
    /// OPEA's stream: each text piece as <c>data: </c> + Python's repr of its UTF-8 bytes, then <c>data: [DONE]</c>.
    /// A failure part-way ends the stream with an <c>event: error</c> whose data is <c>{"detail": ...}</c>, and no [DONE].
    /// </summary>
    private sealed class OpeaStreamResult(ReplyStream reply, ILogger logger) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            var cancellationToken = httpContext.RequestAborted;
            ServerSentEvents.Start(response);
            SetTrimmedTurns(response, reply.TrimmedTurns);
            await using (reply)
            {
                try
                {
                    await foreach (var chunk in reply.ReadAllAsync().WithCancellation(cancellationToken))
                    {
                        foreach (var choice in chunk.Choices)
                        {
                            if (!string.IsNullOrEmpty(choice.Delta.Content))
                            {
                                await ServerSentEvents.WriteDataAsync(response, Encoding.UTF8.GetBytes(PythonBytesLiteral.Format(choice.Delta.Content)), cancellationToken);
                            }
                        }
                    }

                    await ServerSentEvents.WriteDoneAsync(response, cancellationToken);
                }
                catch (InferenceException exception)
                {
                    LogStreamFailed(logger, exception.Message);
                    var detail = JsonSerializer.SerializeToUtf8Bytes(new OpeaErrorDetail(exception.Message), OpeaJsonContext.Default.OpeaErrorDetail);
                    await ServerSentEvents.WriteEventAsync(response, "error", detail, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The client left; disposing the upstream stream cancels generation there too.
                }
            }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reply stream failed part-way: {Reason}")]
    private static partial void LogStreamFailed(ILogger logger, string reason);
}
