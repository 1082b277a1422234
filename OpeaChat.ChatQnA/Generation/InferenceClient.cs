using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpeaChat.Contracts.OpenAi;
using OpenAI.Chat;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// The inference service refused or could not serve a request. <see cref="StatusCode"/> and <see cref="Message"/>
/// come from its OpenAI-style error, or describe why it could not be reached.
/// </summary>
public sealed class InferenceException(HttpStatusCode statusCode, string message, string? code = null, string? param = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>For <c>context_length_exceeded</c>: the prompt's tokens and the limit, as inference counted them.</summary>
    public (int PromptTokens, int Limit)? ContextOverflow { get; init; }

    public HttpStatusCode StatusCode { get; } = statusCode;
    public string? Code { get; } = code;
    public string? Param { get; } = param;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Calls the inference service over OpenAI's chat-completions wire: chat completions through its
/// <see cref="IChatClient"/> (<see cref="InferenceChatClient"/>), the model list with the HTTP client itself. The rest of
/// the gateway keeps to the contract's types; this is where they meet Microsoft.Extensions.AI's (ChatWireMapping).
/// </summary>
public sealed class InferenceClient(HttpClient httpClient, [FromKeyedServices(InferenceChatClient.ServiceKey)] IChatClient chatClient)
{
    private const string ModelsPath = "v1/models";

    /// <summary>How long a reply may go without a chunk before the gateway checks that inference is still there.</summary>
    public static readonly TimeSpan StallProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>Inference's model list, as it sent it (status and JSON body).</summary>
    public async Task<(int Status, byte[] Body)> GetModelsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await httpClient.GetAsync(new Uri(ModelsPath, UriKind.Relative), cancellationToken);
            return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }
        catch (Exception exception) when (IsUnreachable(exception, cancellationToken))
        {
            throw Unreachable(exception);
        }
    }

    public async Task<ChatCompletionResponse> CompleteAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        ChatResponse response;
        try
        {
            response = await chatClient.GetResponseAsync(ChatWireMapping.ToChatMessages(request), ChatWireMapping.ToChatOptions(request), cancellationToken);
        }
        catch (Exception exception)
        {
            if (await ToInferenceExceptionAsync(exception, received: false, cancellationToken) is { } failure)
            {
                throw failure;
            }

            throw;
        }

        return ChatWireMapping.ToResponse(response);
    }

    /// <summary>
    /// Streams the completion's chunks. Errors before the first chunk throw <see cref="InferenceException"/> with the
    /// service's status; a failure part-way throws one with <see cref="HttpStatusCode.BadGateway"/>.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var updates = chatClient.GetStreamingResponseAsync(ChatWireMapping.ToChatMessages(request), ChatWireMapping.ToChatOptions(request), cancellationToken);
        await using var enumerator = updates.GetAsyncEnumerator(cancellationToken);
        var received = false;
        var fromSdk = false;
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception exception)
            {
                if (await ToInferenceExceptionAsync(exception, received, cancellationToken) is { } failure)
                {
                    throw failure;
                }

                throw;
            }

            var update = enumerator.Current;
            if (update.RawRepresentation is StreamingChatCompletionUpdate raw)
            {
                if (ChatWireMapping.StreamError(raw) is { } error)
                {
                    throw new InferenceException(HttpStatusCode.BadGateway, error.Message ?? "The inference service failed during the reply.", error.Code);
                }

                fromSdk = true;
            }
            else if (fromSdk)
            {
                // M.E.AI's own last update: the tool calls it gathered from the fragments already relayed.
                continue;
            }

            received = true;
            yield return ChatWireMapping.ToChunk(update);
        }
    }

    /// <summary>What a failed call to inference means for the gateway's client; null for the caller's own cancellation.</summary>
    private static async Task<InferenceException?> ToInferenceExceptionAsync(Exception exception, bool received, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case InferenceException:
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case ClientResultException { } result when result.GetRawResponse() is { } response:
                return await ToExceptionAsync(response, cancellationToken);
            case IOException or HttpRequestException when received || exception is IOException:
                return new InferenceException(HttpStatusCode.BadGateway, $"The connection to the inference service broke during the reply: {exception.Message}",
                    "inference_stream_broken", inner: exception);
            case JsonException or FormatException:
                return new InferenceException(HttpStatusCode.BadGateway, $"The inference service sent an answer that is not a chat completion: {exception.Message}",
                    "inference_bad_answer", inner: exception);
            case ClientResultException:
                // No response: the transport could not send (the SDK wraps HttpClient's HttpRequestException so).
                return Unreachable(exception.InnerException ?? exception);
            default:
                return IsUnreachable(exception, cancellationToken) ? Unreachable(exception) : null;
        }
    }

    internal static bool IsUnreachable(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
        || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    internal static InferenceException Unreachable(Exception exception) =>
        new(HttpStatusCode.ServiceUnavailable,
            $"The inference service is unreachable ({exception.Message}). Check that it is running: the Aspire dashboard shows its state and logs.",
            "inference_unreachable", retryAfter: TimeSpan.FromSeconds(5), inner: exception);

    /// <summary>Inference's refusal (the SDK's <see cref="ClientResultException"/>) with its OpenAI error's fields.</summary>
    private static async Task<InferenceException> ToExceptionAsync(PipelineResponse response, CancellationToken cancellationToken)
    {
        ErrorResponse? error = null;
        try
        {
            var content = await response.BufferContentAsync(cancellationToken);
            error = JsonSerializer.Deserialize(content.ToMemory().Span, OpenAiJsonContext.Default.ErrorResponse);
        }
        catch (JsonException)
        {
            // Not an OpenAI error body (a proxy's HTML page, say): the status code alone has to do.
        }

        var retryAfter = response.Headers.TryGetValue("Retry-After", out var value)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : (TimeSpan?)null;
        var status = (HttpStatusCode)response.Status;
        return new InferenceException(status,
            error?.Error.Message ?? $"The inference service answered {response.Status} {response.ReasonPhrase}.",
            error?.Error.Code, error?.Error.Param, retryAfter)
        {
            ContextOverflow = error?.Error is { NPromptTokens: { } promptTokens, NCtx: { } limit } ? (promptTokens, limit) : null,
        };
    }
}
