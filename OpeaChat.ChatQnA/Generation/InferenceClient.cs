using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

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

/// <summary>Calls the inference service over OpenAI's chat-completions wire format.</summary>
public sealed class InferenceClient(HttpClient httpClient)
{
    private const string ChatCompletionsPath = "v1/chat/completions";
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
        using var response = await SendAsync(request with { Stream = false }, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var completion = await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.ChatCompletionResponse, cancellationToken);
        return completion ?? throw new InferenceException(HttpStatusCode.BadGateway, "The inference service sent an empty answer.");
    }

    /// <summary>
    /// Streams the completion's chunks. Errors before the first chunk throw <see cref="InferenceException"/> with the
    /// service's status; a failure part-way throws one with <see cref="HttpStatusCode.BadGateway"/>.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAsync(request with { Stream = true, StreamOptions = new StreamOptions { IncludeUsage = true } },
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        // Cancelled when inference stops answering: a proxy in between (Aspire's) can keep a dead service's connection open.
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var chunks = ChatCompletionStream.ReadAsync(body, cancellationToken: stalled.Token).GetAsyncEnumerator(stalled.Token);
        var server = response.RequestMessage?.RequestUri is { IsAbsoluteUri: true } served ? served : httpClient.BaseAddress;
        while (true)
        {
            try
            {
                if (!await NextOrStalledAsync(chunks, server, stalled, cancellationToken))
                {
                    yield break;
                }
            }
            catch (ChatCompletionStreamException exception) when (exception.Error is null)
            {
                throw new InferenceException(HttpStatusCode.BadGateway, "The inference service ended the reply before it was complete.", "inference_stream_broken", inner: exception);
            }
            catch (ChatCompletionStreamException exception)
            {
                throw new InferenceException(HttpStatusCode.BadGateway, exception.Error!.Message, exception.Error.Code, inner: exception);
            }
            catch (Exception exception) when (exception is IOException or HttpRequestException)
            {
                throw new InferenceException(HttpStatusCode.BadGateway, $"The connection to the inference service broke during the reply: {exception.Message}", "inference_stream_broken", inner: exception);
            }

            yield return chunks.Current;
        }
    }

    /// <summary>
    /// The next chunk; while none comes for <see cref="StallProbeInterval"/>, inference's <c>/alive</c> is asked, and a
    /// service that does not answer ends the reply with an error instead of leaving it waiting for the attempt timeout.
    /// A long prompt may keep the first token away for minutes: that is fine while the service answers.
    /// </summary>
    private async Task<bool> NextOrStalledAsync(IAsyncEnumerator<ChatCompletionChunk> chunks, Uri? server, CancellationTokenSource stalled, CancellationToken cancellationToken)
    {
        var next = chunks.MoveNextAsync().AsTask();
        while (server is not null && await Task.WhenAny(next, Task.Delay(StallProbeInterval, cancellationToken)) != next)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await IsAliveAsync(server, cancellationToken) is { } reason)
            {
                await stalled.CancelAsync();
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw new InferenceException(HttpStatusCode.BadGateway, $"The inference service stopped answering during the reply: {reason}.", "inference_stream_broken");
            }
        }

        return await next;
    }

    /// <summary>Null when inference's <c>/alive</c> answers within a second; otherwise why not.</summary>
    private async Task<string?> IsAliveAsync(Uri server, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            using var probe = await httpClient.GetAsync(new Uri(server, ServiceDefaultsExtensions.AlivenessEndpointPath), timeout.Token);
            return probe.IsSuccessStatusCode ? null : $"its liveness check answered {(int)probe.StatusCode}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "it did not answer its liveness check within 1 s";
        }
        catch (HttpRequestException exception)
        {
            return exception.Message;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(ChatCompletionRequest request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, ChatCompletionsPath)
        {
            // The gateway's own fields never go further.
            Content = JsonContent.Create(request with
            {
                ConversationId = null, ContinueOnDisconnect = null, PromptId = null, Variables = null, UseDocuments = null, K = null, FetchK = null, SearchType = null,
                DistanceThreshold = null, ScoreThreshold = null, LambdaMult = null, TopN = null, IndexName = null, ChatTemplate = null,
            }, OpenAiJsonContext.Default.ChatCompletionRequest),
        };

        HttpResponseMessage response;
        try
        {
            response = await httpClient.SendAsync(message, completion, cancellationToken);
        }
        catch (Exception exception) when (IsUnreachable(exception, cancellationToken))
        {
            throw Unreachable(exception);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }
    }

    private static bool IsUnreachable(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
        || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private static InferenceException Unreachable(Exception exception) =>
        new(HttpStatusCode.ServiceUnavailable,
            $"The inference service is unreachable ({exception.Message}). Check that it is running: the Aspire dashboard shows its state and logs.",
            "inference_unreachable", retryAfter: TimeSpan.FromSeconds(5), inner: exception);

    private static async Task<InferenceException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ErrorResponse? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.ErrorResponse, cancellationToken);
        }
        catch (JsonException)
        {
            // Not an OpenAI error body (a proxy's HTML page, say): the status code alone has to do.
        }

        var retryAfter = response.Headers.RetryAfter is RetryConditionHeaderValue { Delta: { } delta } ? delta : (TimeSpan?)null;
        return new InferenceException(response.StatusCode,
            error?.Error.Message ?? $"The inference service answered {(int)response.StatusCode} {response.ReasonPhrase}.",
            error?.Error.Code, error?.Error.Param, retryAfter)
        {
            ContextOverflow = error?.Error is { NPromptTokens: { } promptTokens, NCtx: { } limit } ? (promptTokens, limit) : null,
        };
    }
}
