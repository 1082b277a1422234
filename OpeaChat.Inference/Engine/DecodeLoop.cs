using System.Diagnostics;
using System.Threading.Channels;
using LLama;
using LLama.Abstractions;
using LLama.Batched;
using LLama.Native;
using LLama.Sampling;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Engine;

/// <summary>Sizes of one model's decode loop.</summary>
public sealed record DecodeLoopSettings(int MaxParallelSequences, int MaxQueueLength, int ContextSize, int PrefixCacheSlots);

/// <summary>
/// The one loop that owns a model's context. llama.cpp serialises every decode in the process, so concurrency comes
/// from continuous batching: each request is a <see cref="Conversation"/> of one <see cref="BatchedExecutor"/>, every
/// step decodes one token for each running sequence (plus the prompts of newly admitted ones), and requests join and
/// leave between steps. Finished conversations stay in a small prefix cache, so a request that extends an earlier one
/// (the next turn of a chat) only evaluates its new tokens.
/// </summary>
public sealed partial class DecodeLoop : IAsyncDisposable
{
    private readonly string _modelId;
    private readonly LLamaWeights _weights;
    private readonly IContextParams _contextParams;
    private readonly DecodeLoopSettings _settings;
    private readonly InferenceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<PendingGeneration> _incoming = Channel.CreateUnbounded<PendingGeneration>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<ActiveSequence> _active = [];
    private readonly List<CachedSequence> _prefixCache = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private BatchedExecutor _executor;
    private int _inFlight;
    private int _activeCount;
    private int _kvCellsUsed;
    private int _cachedCount;
    private long _generatedTokens;
    private volatile bool _acceptingRequests = true;
    private Task? _disposal;

    public DecodeLoop(string modelId, LLamaWeights weights, IContextParams contextParams, DecodeLoopSettings settings, InferenceMetrics metrics, ILogger logger)
    {
        _modelId = modelId;
        _weights = weights;
        _contextParams = contextParams;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
        _executor = new BatchedExecutor(weights, contextParams);
        _loop = Task.Run(RunAsync);
    }

    public int Capacity => _settings.MaxParallelSequences + _settings.MaxQueueLength;

    public DecodeLoopStatus Status
    {
        get
        {
            var active = Volatile.Read(ref _activeCount);
            return new DecodeLoopStatus(active, Math.Max(0, Volatile.Read(ref _inFlight) - active), Volatile.Read(ref _kvCellsUsed),
                Volatile.Read(ref _cachedCount), Interlocked.Read(ref _generatedTokens));
        }
    }

    /// <summary>Queues a request. Returns false without queueing when the wait queue is full (the caller answers 429).</summary>
    public bool TryEnqueue(GenerationRequest request, out ChannelReader<GenerationUpdate> updates)
    {
        updates = null!;
        if (!_acceptingRequests)
        {
            return false;
        }

        if (Interlocked.Increment(ref _inFlight) > Capacity)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _incoming.Writer.TryWrite(new PendingGeneration(request, channel.Writer, Stopwatch.GetTimestamp()));
        updates = channel.Reader;
        return true;
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                AdmitWaitingRequests();
                if (_active.Count == 0)
                {
                    await _incoming.Reader.WaitToReadAsync(stopping).ConfigureAwait(false);
                    continue;
                }

                MakeRoomInKvCache(incomingTokens: _active.Count);
                var result = await _executor.Infer(stopping).ConfigureAwait(false);
                if (result != DecodeResult.Ok)
                {
                    FailAllAndReset($"The model could not decode this batch ({result}).");
                    continue;
                }

                SampleReadySequences();
                UpdateKvCellsUsed();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The loop serves everyone: one failure must not stop it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogDecodeFailed(exception, _modelId);
                FailAllAndReset($"Generation failed: {exception.Message}");
            }
        }

        FailAll("The model was unloaded or the server is shutting down.");
    }

    private void AdmitWaitingRequests()
    {
        while (_active.Count < _settings.MaxParallelSequences && _incoming.Reader.TryRead(out var pending))
        {
            var request = pending.Request;
            if (request.CancellationToken.IsCancellationRequested)
            {
                Complete(pending, new GenerationResult(GenerationResult.Cancelled, request.PromptTokens.Count, 0));
                continue;
            }

            var (conversation, reused) = StartConversation(request.PromptTokens, request.CachePrompt);
            _active.Add(new ActiveSequence(pending, conversation, CreateSampler(request.Sampling), new StreamingTokenDecoder(_executor.Context), reused));
            Volatile.Write(ref _activeCount, _active.Count);
        }
    }

    /// <summary>Continues the cached conversation that shares the longest prefix with the prompt, or starts a new one.</summary>
    private (Conversation Conversation, int ReusedTokens) StartConversation(IReadOnlyList<LLamaToken> prompt, bool usePrefixCache)
    {
        // Worth it when most of a cached sequence carries over (the next turn of the same chat), as llama-server
        // judges; among those, the one that saves the most.
        CachedSequence? best = null;
        var bestLength = 0;
        foreach (var cached in usePrefixCache ? _prefixCache : [])
        {
            var length = CommonPrefixLength(cached.Tokens, prompt);
            if (length > bestLength && length * 2 >= cached.Tokens.Count)
            {
                best = cached;
                bestLength = length;
            }
        }

        if (best is not null)
        {
            _prefixCache.Remove(best);
            Volatile.Write(ref _cachedCount, _prefixCache.Count);
            var reuse = Math.Min(bestLength, prompt.Count - 1); // at least one token must be evaluated to get logits
            best.Conversation.Modify((end, kv) =>
            {
                kv.Remove(reuse, end);
                return reuse;
            });
            MakeRoomInKvCache(prompt.Count - reuse);
            best.Conversation.Prompt(prompt.Skip(reuse).ToArray().AsSpan());
            return (best.Conversation, reuse);
        }

        MakeRoomInKvCache(prompt.Count);
        var conversation = _executor.Create();
        conversation.Prompt(prompt.ToArray().AsSpan());
        return (conversation, 0);
    }

    private static int CommonPrefixLength(List<LLamaToken> cached, IReadOnlyList<LLamaToken> prompt)
    {
        var length = Math.Min(cached.Count, prompt.Count);
        for (var i = 0; i < length; i++)
        {
            if (cached[i] != prompt[i])
            {
                return i;
            }
        }

        return length;
    }

    /// <summary>Evicts cached prefixes (least recently used first) until the KV cache has room for what comes next.</summary>
    private void MakeRoomInKvCache(int incomingTokens)
    {
        while (_prefixCache.Count > 0 && UsedCells() + incomingTokens > _settings.ContextSize)
        {
            EvictOldestPrefix();
        }
    }

    private int UsedCells() => _active.Sum(sequence => sequence.Conversation.TokenCount) + _prefixCache.Sum(cached => cached.Tokens.Count);

    private void UpdateKvCellsUsed() => Volatile.Write(ref _kvCellsUsed, UsedCells());

    private void EvictOldestPrefix()
    {
        var oldest = _prefixCache[0];
        _prefixCache.RemoveAt(0);
        Volatile.Write(ref _cachedCount, _prefixCache.Count);
        oldest.Conversation.Dispose();
    }

    private void SampleReadySequences()
    {
        var vocab = _weights.Vocab;
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var sequence = _active[i];
            if (!sequence.Conversation.RequiresSampling)
            {
                continue; // Its prompt is still being decoded in a later batch.
            }

            var request = sequence.Pending.Request;
            if (request.CancellationToken.IsCancellationRequested)
            {
                Finish(i, GenerationResult.Cancelled);
                continue;
            }

            var token = sequence.Conversation.Sample(sequence.Sampler);
            if (token.IsEndOfGeneration(vocab) && !request.Sampling.IgnoreEndOfGeneration)
            {
                Finish(i, Contracts.OpenAi.FinishReasons.Stop);
                continue;
            }

            if (sequence.CompletionTokens == 0)
            {
                var firstTokenAt = Stopwatch.GetTimestamp();
                sequence.FirstTokenAt = firstTokenAt;
                _metrics.RecordFirstToken(_modelId, Stopwatch.GetElapsedTime(sequence.Pending.EnqueuedAt, firstTokenAt));
            }

            sequence.CompletionTokens++;
            Interlocked.Increment(ref _generatedTokens);
            _metrics.RecordToken(_modelId);
            sequence.Decoder.Add(token);
            var text = sequence.StopMatcher.Push(sequence.Decoder.Read());
            if (text.Length > 0)
            {
                sequence.Pending.Updates.TryWrite(new GenerationUpdate(text, null));
            }

            if (sequence.StopMatcher.Stopped)
            {
                Finish(i, Contracts.OpenAi.FinishReasons.Stop);
            }
            else if (sequence.CompletionTokens >= request.MaxTokens)
            {
                Finish(i, Contracts.OpenAi.FinishReasons.Length);
            }
            else
            {
                sequence.Conversation.Prompt(token);
                sequence.Tokens.Add(token);
            }
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
            if (rest.Length > 0)
            {
                sequence.Pending.Updates.TryWrite(new GenerationUpdate(rest, null));
            }
        }

        sequence.Sampler.Dispose();
        if (succeeded && _settings.PrefixCacheSlots > 0 && sequence.Pending.Request.CachePrompt)
        {
            _prefixCache.Add(new CachedSequence(sequence.Conversation, sequence.Tokens));
            if (_prefixCache.Count > _settings.PrefixCacheSlots)
            {
                EvictOldestPrefix();
            }

            Volatile.Write(ref _cachedCount, _prefixCache.Count);
        }
        else
        {
            sequence.Conversation.Dispose();
        }

        var request = sequence.Pending.Request;
        var result = new GenerationResult(finishReason, request.PromptTokens.Count, sequence.CompletionTokens, error) { CachedTokens = sequence.ReusedTokens };
        var now = Stopwatch.GetTimestamp();
        _metrics.RecordCompleted(_modelId, finishReason, result.PromptTokens, result.CachedTokens, result.CompletionTokens,
            Stopwatch.GetElapsedTime(sequence.Pending.EnqueuedAt, now),
            sequence.FirstTokenAt is { } first ? Stopwatch.GetElapsedTime(first, now) : null);
        Complete(sequence.Pending, result);
    }

    private void Complete(PendingGeneration pending, GenerationResult result)
    {
        pending.Updates.TryWrite(new GenerationUpdate(null, result));
        pending.Updates.TryComplete();
        Interlocked.Decrement(ref _inFlight);
    }

    private void FailAll(string message)
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            Finish(i, GenerationResult.Failed, message);
        }

        while (_incoming.Reader.TryRead(out var pending))
        {
            Complete(pending, new GenerationResult(GenerationResult.Failed, pending.Request.PromptTokens.Count, 0, message));
        }
    }

    /// <summary>After a failed decode the batch queue may hold tokens of ended sequences: start again from a clean context.</summary>
    private void FailAllAndReset(string message)
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            Finish(i, GenerationResult.Failed, message);
        }

        while (_prefixCache.Count > 0)
        {
            EvictOldestPrefix();
        }

        _executor.Dispose();
        _executor = new BatchedExecutor(_weights, _contextParams);
        UpdateKvCellsUsed();
    }

    private static DefaultSamplingPipeline CreateSampler(SamplingSettings settings) => new()
    {
        Temperature = settings.Temperature,
        TopP = settings.TopP,
        TopK = settings.TopK,
        MinP = settings.MinP,
        RepeatPenalty = settings.RepeatPenalty,
        FrequencyPenalty = settings.FrequencyPenalty,
        PresencePenalty = settings.PresencePenalty,
        Seed = settings.Seed,
        PreventEOS = settings.IgnoreEndOfGeneration,
        Grammar = settings.Grammar is null ? null : new Grammar(settings.Grammar, "root"),
    };

    /// <summary>Stops taking requests, lets the running ones finish (up to <paramref name="drainTimeout"/>), then frees the context.</summary>
    public async Task DrainAndDisposeAsync(TimeSpan drainTimeout)
    {
        _acceptingRequests = false;
        var deadline = Stopwatch.GetTimestamp() + (long)(drainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Volatile.Read(ref _inFlight) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the loop and frees the context; every caller waits for the same, single disposal.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_incoming)
        {
            _disposal ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        _acceptingRequests = false;
        _incoming.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        foreach (var cached in _prefixCache)
        {
            cached.Conversation.Dispose();
        }

        _prefixCache.Clear();
        _executor.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Decode step of model {ModelId} failed; running sequences were ended with an error")]
    private partial void LogDecodeFailed(Exception exception, string modelId);

    private sealed record PendingGeneration(GenerationRequest Request, ChannelWriter<GenerationUpdate> Updates, long EnqueuedAt);

    private sealed record CachedSequence(Conversation Conversation, List<LLamaToken> Tokens);

    private sealed class ActiveSequence(PendingGeneration pending, Conversation conversation, DefaultSamplingPipeline sampler, StreamingTokenDecoder decoder, int reusedTokens)
    {
        public PendingGeneration Pending { get; } = pending;
        public Conversation Conversation { get; } = conversation;
        public DefaultSamplingPipeline Sampler { get; } = sampler;
        public StreamingTokenDecoder Decoder { get; } = decoder;
        public StopSequenceMatcher StopMatcher { get; } = new(pending.Request.StopSequences);
        public int ReusedTokens { get; } = reusedTokens;

        /// <summary>The tokens held in this sequence's KV cache: the prompt, then every generated token fed back.</summary>
        public List<LLamaToken> Tokens { get; } = [.. pending.Request.PromptTokens];

        public int CompletionTokens { get; set; }
        public long? FirstTokenAt { get; set; }
    }
}
