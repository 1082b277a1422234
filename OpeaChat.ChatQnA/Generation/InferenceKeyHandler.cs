using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// Sends <c>ChatQnA:InferenceApiKey</c> as <c>Authorization: Bearer</c> on every call to inference (chat, models,
/// embeddings, reranking, load figures, health), and only there: link fetching has a client of its own without it.
/// </summary>
public sealed class InferenceKeyHandler(IOptionsMonitor<ChatQnAOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.CurrentValue.InferenceApiKey is { Length: > 0 } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
