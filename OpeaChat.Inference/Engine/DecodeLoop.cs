using System.Threading.Channels;
using LLama;
using LLama.Abstractions;
using LLama.Batched;
using LLama.Native;
using LLama.Sampling;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// The one loop that owns the model's context. llama.cpp serialises every decode in the process, so concurrency comes
/// from continuous batching: each request is a <see cref="Conversation"/> of one <see cref="BatchedExecutor"/>, every
/// step decodes one token for each running sequence (plus the prompts of newly admitted ones), and requests join and
/// leave between steps.
/// </summary>
public sealed partial class DecodeLoop : IAsyncDisposable
{
    private readonly LLamaWeights _weights;
    private readonly IContextParams _contextParams;
    private readonly int _maxParallelSequences;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly Channel<PendingGeneration> _incoming = Channel.CreateUnbounded<PendingGeneration>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly List<ActiveSequence> _active = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private BatchedExecutor _executor;
    private int _inFlight;

    public DecodeLoop(LLamaWeights weights, IContextParams contextParams, int maxParallelSequences, int maxQueueLength, ILogger logger)
    {
        _weights = weights;
        _contextParams = contextParams;
        _maxParallelSequences = maxParallelSequences;
        _capacity = maxParallelSequences + maxQueueLength;
        _logger = logger;
        _executor = new BatchedExecutor(weights, contextParams);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Requests decoding now.</summary>
    public int ActiveSequences => Volatile.Read(ref _activeCount);

    /// <summary>Requests waiting for a free sequence.</summary>
    public int QueuedRequests => Math.Max(0, Volatile.Read(ref _inFlight) - ActiveSequences);

    private int _activeCount;

    /// <summary>
    /// Queues a request. Returns false without queueing when the wait queue is full; the caller answers 429.
    /// </summary>
    public bool TryEnqueue(GenerationRequest request, out ChannelReader<GenerationUpdate> updates)
    {
        if (Interlocked.Increment(ref _inFlight) > _capacity || _stopping.IsCancellationRequested)
        {
            Interlocked.Decrement(ref _inFlight);
            updates = null!;
            return false;
        }

        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _incoming.Writer.TryWrite(new PendingGeneration(request, channel.Writer));
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

                var result = await _executor.Infer(stopping).ConfigureAwait(false);
                if (result != DecodeResult.Ok)
                {
                    FailAllAndReset($"The model could not decode this batch ({result}).");
                    continue;
                }

                SampleReadySequences();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The loop serves everyone: one failure must not stop it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogDecodeFailed(exception);
                FailAllAndReset($"Generation failed: {exception.Message}");
            }
        }

        FailAll("The inference service is shutting down.");
    }

    private void AdmitWaitingRequests()
    {
        while (_active.Count < _maxParallelSequences && _incoming.Reader.TryRead(out var pending))
        {
            var request = pending.Request;
            if (request.CancellationToken.IsCancellationRequested)
            {
                Complete(pending.Updates, new GenerationResult(GenerationResult.Cancelled, request.PromptTokens.Count, 0));
                continue;
            }

            var conversation = _executor.Create();
            conversation.Prompt(request.PromptTokens.ToArray().AsSpan());
            _active.Add(new ActiveSequence(pending, conversation, CreateSampler(request.Sampling), new StreamingTokenDecoder(_executor.Context)));
            Volatile.Write(ref _activeCount, _active.Count);
        }
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
            if (token.IsEndOfGeneration(vocab))
            {
                Finish(i, OpenAi.FinishReasons.Stop);
                continue;
            }

            sequence.CompletionTokens++;
            sequence.Decoder.Add(token);
            var text = sequence.StopMatcher.Push(sequence.Decoder.Read());
            if (text.Length > 0)
            {
                sequence.Pending.Updates.TryWrite(new GenerationUpdate(text, null));
            }

            if (sequence.StopMatcher.Stopped)
            {
                Finish(i, OpenAi.FinishReasons.Stop);
            }
            else if (sequence.CompletionTokens >= request.MaxTokens)
            {
                Finish(i, OpenAi.FinishReasons.Length);
            }
            else
            {
                sequence.Conversation.Prompt(token);
            }
        }
    }

    private void Finish(int index, string finishReason, string? error = null)
    {
        var sequence = _active[index];
        _active.RemoveAt(index);
        Volatile.Write(ref _activeCount, _active.Count);

        if (error is null && finishReason != GenerationResult.Cancelled)
        {
            var rest = sequence.StopMatcher.Flush();
            if (rest.Length > 0)
            {
                sequence.Pending.Updates.TryWrite(new GenerationUpdate(rest, null));
            }
        }

        sequence.Conversation.Dispose();
        sequence.Sampler.Dispose();
        Complete(sequence.Pending.Updates,
            new GenerationResult(finishReason, sequence.Pending.Request.PromptTokens.Count, sequence.CompletionTokens, error));
    }

    private void Complete(ChannelWriter<GenerationUpdate> updates, GenerationResult result)
    {
        updates.TryWrite(new GenerationUpdate(null, result));
        updates.TryComplete();
        Interlocked.Decrement(ref _inFlight);
    }

    private void FailAll(string message)
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            Finish(i, "error", message);
        }

        while (_incoming.Reader.TryRead(out var pending))
        {
            Complete(pending.Updates, new GenerationResult("error", pending.Request.PromptTokens.Count, 0, message));
        }
    }

    /// <summary>After a failed decode the batch queue may hold tokens of finished sequences: start from a clean context.</summary>
    private void FailAllAndReset(string message)
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            Finish(i, "error", message);
        }

        _executor.Dispose();
        _executor = new BatchedExecutor(_weights, _contextParams);
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
        Grammar = settings.Grammar is null ? null : new Grammar(settings.Grammar, "root"),
    };

    public async ValueTask DisposeAsync()
    {
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

        _executor.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Decode step failed; running sequences were ended with an error")]
    private partial void LogDecodeFailed(Exception exception);

    private sealed record PendingGeneration(GenerationRequest Request, ChannelWriter<GenerationUpdate> Updates);

    private sealed class ActiveSequence(PendingGeneration pending, Conversation conversation, DefaultSamplingPipeline sampler, StreamingTokenDecoder decoder)
    {
        public PendingGeneration Pending { get; } = pending;
        public Conversation Conversation { get; } = conversation;
        public DefaultSamplingPipeline Sampler { get; } = sampler;
        public StreamingTokenDecoder Decoder { get; } = decoder;
        public StopSequenceMatcher StopMatcher { get; } = new(pending.Request.StopSequences);
        public int CompletionTokens { get; set; }
    }
}
