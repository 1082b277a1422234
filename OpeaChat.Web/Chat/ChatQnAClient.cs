using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace OpeaChat.Web.Chat;

/// <summary>
/// Typed client for the ChatQnA gateway, the only service the web frontend talks to.
/// Its <see cref="HttpClient"/> has no timeout and no resilience handler: a reply can stream for minutes and
/// must never be retried after the first byte; callers stop it with their <see cref="CancellationToken"/>.
/// </summary>
public sealed class ChatQnAClient(HttpClient http, IOptions<ChatQnAOptions> options)
{
    private const string ChatPath = "v1/chatqna";
    private const string HealthPath = "health";
    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";

    private static readonly MediaTypeWithQualityHeaderValue EventStream = new("text/event-stream");

    /// <summary>
    /// Sends the conversation and streams the reply's text pieces as they come.
    /// </summary>
    /// <exception cref="ChatQnAException">The gateway is unreachable, refused the request, or cut the reply off.</exception>
    public async IAsyncEnumerable<string> StreamReplyAsync(
        IReadOnlyList<OpeaChatMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var body = new ChatQnARequest(messages, Stream: true, MaxTokens: options.Value.MaxTokens);
        using var request = new HttpRequestMessage(HttpMethod.Post, ChatPath)
        {
            // Buffered, so the request has a Content-Length: not every Python server accepts chunked bodies.
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, OpeaJsonContext.Default.ChatQnARequest))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            },
        };
        request.Headers.Accept.Add(EventStream);

        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (var piece in OpeaStreamReader.ReadAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                yield return piece;
            }
        }
    }

    /// <summary>Asks the gateway whether it can answer now. Never throws except for cancellation by the caller.</summary>
    public async Task<GatewayHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.HealthTimeout);
        try
        {
            using var response = await http.GetAsync(HealthPath, timeout.Token).ConfigureAwait(false);
            GatewayHealthResponse? body = null;
            try
            {
                body = await response.Content.ReadFromJsonAsync(OpeaJsonContext.Default.GatewayHealthResponse, timeout.Token).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // A body that is not the expected JSON: judge by the status code alone.
            }

            return GatewayHealth.FromResponse(response.IsSuccessStatusCode, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new GatewayHealth(GatewayState.Unreachable, "The chat service did not answer its health check in time.");
        }
        catch (HttpRequestException)
        {
            return new GatewayHealth(GatewayState.Unreachable, UnreachableMessage);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new ChatQnAException(ChatQnAFailure.Unreachable, UnreachableMessage, innerException: exception);
        }
    }

    private static async Task<ChatQnAException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = null;
        }

        var status = response.StatusCode;
        var message = OpeaErrorDetail.Read(body)
            ?? (status == HttpStatusCode.ServiceUnavailable
                ? "The chat service is not ready yet. Try again in a moment."
                : string.IsNullOrWhiteSpace(response.ReasonPhrase)
                    ? $"The chat service answered {(int)status}."
                    : $"The chat service answered {(int)status} {response.ReasonPhrase}.");
        var failure = status == HttpStatusCode.ServiceUnavailable ? ChatQnAFailure.Unavailable : ChatQnAFailure.HttpError;
        return new ChatQnAException(failure, message, status);
    }
}
