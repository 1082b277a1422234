using System.Diagnostics;
using OpeaChat.ChatQnA.Caching;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Telemetry;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Completions;

/// <summary>
/// What both doors (OPEA's /v1/chatqna and the OpenAI door) do with a chat once it is an OpenAI request: stream it
/// from inference, or answer it whole (from the response cache when it can be). A chat too long for the model's
/// context loses its oldest turns until it fits; the doors report how many in <see cref="TrimmedTurnsHeader"/>.
/// </summary>
public sealed class ChatService(InferenceClient inference, ResponseCache cache, GatewayMetrics metrics)
{
    public const string TrimmedTurnsHeader = "OpeaChat-Trimmed-Turns";
    private const int MaxTrimAttempts = 4;

    public async Task<ReplyStream> OpenStreamAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        var (reply, trimmed) = await WithTrimmingAsync(request, shorter => ReplyStream.OpenAsync(inference, shorter, metrics, cancellationToken));
        reply.TrimmedTurns = trimmed;
        return reply;
    }

    public async Task<(ChatCompletionResponse Response, int TrimmedTurns)> CompleteAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        metrics.RequestStarted();
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await WithTrimmingAsync(request, shorter => GenerateAsync(shorter, cancellationToken));
        }
        finally
        {
            metrics.RequestEnded();
            metrics.RecordCompleted(Stopwatch.GetElapsedTime(started), null, 0);
        }
    }

    /// <summary>One whole answer (from the cache when it can be), as one generate span; a cached answer says so.</summary>
    private async Task<ChatCompletionResponse> GenerateAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        using var span = GenerateSpan.Start(request, stream: false);
        var generated = false;
        try
        {
            ChatCompletionResponse response;
            if (cache.IsCacheable(request))
            {
                response = await cache.GetOrCreateAsync(request, token =>
                {
                    generated = true;
                    return inference.CompleteAsync(request, token);
                }, cancellationToken);
            }
            else
            {
                generated = true;
                response = await inference.CompleteAsync(request, cancellationToken);
            }

            GenerateSpan.Ended(span, generated ? "complete" : "cached", response.Model, response.Usage, response.Choices.FirstOrDefault()?.FinishReason);
            return response;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            GenerateSpan.Ended(span, "stopped", null, null, null);
            throw;
        }
        catch (Exception exception)
        {
            GenerateSpan.Failed(span, exception, null, null);
            throw;
        }
    }

    private static async Task<(T Result, int TrimmedTurns)> WithTrimmingAsync<T>(ChatCompletionRequest request, Func<ChatCompletionRequest, Task<T>> send)
    {
        var trimmed = 0;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await send(request), trimmed);
            }
            catch (InferenceException exception) when (attempt < MaxTrimAttempts
                && exception.ContextOverflow is { } overflow
                && request.Messages is { } messages
                && HistoryTrimmer.Trim(messages, overflow.PromptTokens, overflow.Limit, request.MaxTokens) is { } shorter)
            {
                request = request with { Messages = shorter.Messages };
                trimmed += shorter.RemovedTurns;
            }
        }
    }
}
