using System.Net.Http.Headers;
using OpeaChat.ChatQnA.Generation;

namespace OpeaChat.ChatQnA.Models;

/// <summary>
/// Calls inference's model management (<c>/v1/models/pull</c>, <c>/pulls</c>, delete, <c>/recommended</c>) and hands
/// its answers back unread, for the gateway to pass through. Its <see cref="HttpClient"/> has no resilience handler: a
/// pull streams for as long as the download takes (a non-streamed one answers only at its end), so neither the
/// attempt nor the total timeout may cut it, and a pull is not retried behind the caller's back. The liveness probe
/// still makes a dead inference fail in about a second.
/// </summary>
public sealed class ModelPullClient(HttpClient httpClient)
{
    /// <summary>How long the short calls (lists, cancel, delete) may take: they answer at once on a live inference.</summary>
    public static readonly TimeSpan ShortCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts a pull with the caller's JSON body and <c>Accept</c>; the answer's body is read by the caller (the progress stream).</summary>
    public Task<HttpResponseMessage> PullAsync(byte[] body, string? contentType, IReadOnlyList<string> accept, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/models/pull") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/json");
        foreach (var value in accept)
        {
            request.Headers.Accept.TryParseAdd(value);
        }

        return SendAsync(request, timeout: null, cancellationToken);
    }

    public Task<HttpResponseMessage> ListPullsAsync(CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models/pulls"), ShortCallTimeout, cancellationToken);

    public Task<HttpResponseMessage> CancelPullAsync(string id, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, "v1/models/pulls/" + Uri.EscapeDataString(id)), ShortCallTimeout, cancellationToken);

    public Task<HttpResponseMessage> DeleteModelAsync(string id, bool force, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, "v1/models/" + Uri.EscapeDataString(id) + (force ? "?force=true" : string.Empty)),
            ShortCallTimeout, cancellationToken);

    public Task<HttpResponseMessage> ListRecommendedAsync(CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models/recommended"), ShortCallTimeout, cancellationToken);

    /// <summary>Sends and returns at the headers; inference unreachable (or silent past <paramref name="timeout"/>) is an <see cref="InferenceException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is { } value)
            {
                limit.CancelAfter(value);
            }

            try
            {
                var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
                if (timeout is null)
                {
                    return response;
                }

                // A short answer is read whole here, while its time limit still holds.
                await response.Content.LoadIntoBufferAsync(limit.Token);
                return response;
            }
            catch (Exception exception) when (InferenceClient.IsUnreachable(exception, cancellationToken))
            {
                throw InferenceClient.Unreachable(exception);
            }
        }
    }
}
