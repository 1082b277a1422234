using System.Diagnostics;
using LLama;
using LLama.Batched;
using LLama.Native;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// Batching: the sequences decoding together. Between steps it admits waiting requests up to the parallel limit (each
/// continues a cached prefix or starts a new conversation), samples every sequence whose logits are ready, and ends
/// sequences: their result to the caller, their conversation to the prefix cache or freed.
/// </summary>
internal sealed class SequenceScheduler(
    string modelId, int maxParallelSequences, RequestQueue queue, PrefixCache prefixCache, KvCacheEviction kvCache, TokenSampler sampler, InferenceMetrics metrics)
{
    private readonly List<ActiveSequence> _active = [];
    private int _activeCount;

    /// <summary>Running sequences (the loop's own view).</summary>
    public int Count => _active.Count;

    /// <summary>Running sequences, readable from any thread.</summary>
    public int ActiveCount => Volatile.Read(ref _activeCount);

    /// <summary>KV cells the running sequences hold.</summary>
    public int TokenCount => _active.Sum(sequence => sequence.Conversation.TokenCount);

    public void AdmitWaitingRequests(BatchedExecutor executor)
    {
        while (_active.Count < maxParallelSequences && queue.TryDequeue(out var pending))
        {
            var request = pending.Request;
            if (request.CancellationToken.IsCancellationRequested)
            {
                queue.Complete(pending, new GenerationResult(GenerationResult.Cancelled, request.PromptTokens.Count, 0));
                continue;
            }

            var (conversation, reused) = StartConversation(executor, request.PromptTokens, request.CachePrompt);
            _active.Add(new ActiveSequence(pending, conversation, TokenSampler.CreatePipeline(request.Sampling), new StreamingTokenDecoder(executor.Context), reused));
            Volatile.Write(ref _activeCount, _active.Count);
        }
    }

    /// <summary>Continues the cached conversation that shares the longest prefix with the prompt, or starts a new one.</summary>
    private (Conversation Conversation, int ReusedTokens) StartConversation(BatchedExecutor executor, IReadOnlyList<LLamaToken> prompt, bool usePrefixCache)
    {
        if (usePrefixCache && prefixCache.TryTake(prompt) is { } cached)
        {
            kvCache.MakeRoom(TokenCount, prompt.Count - cached.ReusedTokens);
            cached.Conversation.Prompt(prompt.Skip(cached.ReusedTokens).ToArray().AsSpan());
            return cached;
        }

        kvCache.MakeRoom(TokenCount, prompt.Count);
        var conversation = executor.Create();
        conversation.Prompt(prompt.ToArray().AsSpan());
        return (conversation, 0);
    }

    public void SampleReadySequences()
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var sequence = _active[i];
            if (!sequence.Conversation.RequiresSampling)
            {
                continue; // Its prompt is still being decoded in a later batch.
            }

            if (sampler.SampleNext(sequence) is { } finishReason)
            {
                Finish(i, finishReason);
            }
        }
    }

    /// <summary>Ends every running sequence with an error.</summary>
    public void FailAll(string message)
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            Finish(i, GenerationResult.Failed, message);
        }
    }

    private void Finish(int index, string finishReason, string? error = null)
    {
        var sequence = _active[index];
        _active.RemoveAt(index);
        Volatile.Write(ref _activeCount, _active.Count);
        var succeeded = error is null && finishReason != GenerationResult.Cancelled;

        if (succeeded)
        {
            var rest = sequence.StopMatcher.Flush();
            var released = sequence.Logprobs?.Flush(rest.Length);
            if (rest.Length > 0 || released is { Count: > 0 })
            {
                sequence.Pending.Updates.TryWrite(new GenerationUpdate(rest, null, released));
            }
        }

        sequence.Sampler.Dispose();
        if (succeeded && prefixCache.Enabled && sequence.Pending.Request.CachePrompt)
        {
            prefixCache.Add(sequence.Conversation, sequence.Tokens);
        }
        else
        {
            sequence.Conversation.Dispose();
        }

        var request = sequence.Pending.Request;
        var result = new GenerationResult(finishReason, request.PromptTokens.Count, sequence.CompletionTokens, error) { CachedTokens = sequence.ReusedTokens };
        var now = Stopwatch.GetTimestamp();
        metrics.RecordCompleted(modelId, finishReason, result.PromptTokens, result.CachedTokens, result.CompletionTokens,
            Stopwatch.GetElapsedTime(sequence.Pending.EnqueuedAt, now),
            sequence.FirstTokenAt is { } first ? Stopwatch.GetElapsedTime(first, now) : null);
        queue.Complete(sequence.Pending, result);
    }
}
