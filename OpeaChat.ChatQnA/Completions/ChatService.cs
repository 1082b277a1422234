using OpeaChat.ChatQnA.Caching;
using OpeaChat.ChatQnA.Inference;
using OpeaChat.ChatQnA.Telemetry;
using OpeaChat.OpenAi;

namespace OpeaChat.ChatQnA.Completions;

/// <summary>
/// What both doors (OPEA's /v1/chatqna and the OpenAI door) do with a chat once it is an OpenAI request: stream it
/// from inference, or answer it whole (from the response cache when it can be).
/// </summary>
public sealed class ChatService(InferenceClient inference, ResponseCache cache, GatewayMetrics metrics)
{
    public Task<ReplyStream> OpenStreamAsync(ChatCompletionRequest request, CancellationToken cancellationToken) =>
        ReplyStream.OpenAsync(inference, request, metrics, cancellationToken);

    public async Task<ChatCompletionResponse> CompleteAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        metrics.RequestStarted();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return cache.IsCacheable(request)
                ? await cache.GetOrCreateAsync(request, token => inference.CompleteAsync(request, token), cancellationToken)
                : await inference.CompleteAsync(request, cancellationToken);
        }
        finally
        {
            metrics.RequestEnded();
            metrics.RecordCompleted(System.Diagnostics.Stopwatch.GetElapsedTime(started), null, 0);
        }
    }
}
