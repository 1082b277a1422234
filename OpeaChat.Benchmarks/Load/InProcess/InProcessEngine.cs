using System.Threading.Channels;
using LLama;
using LLama.Abstractions;
using LLama.Batched;
using LLama.Native;
using LLama.Sampling;

namespace OpeaChat.Benchmarks.Load.InProcess;

/// <summary>One generated token of a request (with its text piece, possibly empty), or the end of the request.</summary>
public readonly record struct EngineUpdate(bool Done, string? Error);

/// <summary>
/// The inference service's decode loop (OpeaChat.Inference/Engine/DecodeLoop.cs) without the service around it: one
/// <see cref="BatchedExecutor"/>, one <see cref="Conversation"/> per request, every step decodes one token of each
/// running sequence plus the prompts of newly admitted ones, and requests join and leave between steps. Same sampling
/// pipeline and token-to-text decoding; no HTTP, no queue limit, no prefix cache (every benchmark prompt is new).
/// </summary>
public sealed class InProcessEngine : IAsyncDisposable
{
    private readonly LLamaWeights _weights;
    private readonly BatchedExecutor _executor;
    private readonly int _maxParallelSequences;
    private readonly Channel<Pending> _incoming = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<Active> _active = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public InProcessEngine(LLamaWeights weights, IContextParams contextParams, int maxParallelSequences)
    {
        _weights = weights;
        _maxParallelSequences = maxParallelSequences;
        _executor = new BatchedExecutor(weights, contextParams);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a request; the reader gets one update per generated token, then a final one.</summary>
    public ChannelReader<EngineUpdate> Enqueue(LLamaToken[] prompt, int maxTokens, SamplingSpec sampling, bool ignoreEndOfGeneration, CancellationToken cancellationToken)
    {
        var updates = Channel.CreateUnbounded<EngineUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var pending = new Pending(prompt, maxTokens, sampling, ignoreEndOfGeneration, updates.Writer, cancellationToken);
        if (!_incoming.Writer.TryWrite(pending))
        {
            updates.Writer.TryWrite(new EngineUpdate(true, "The engine has stopped."));
            updates.Writer.TryComplete();
        }

        return updates.Reader;
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                Admit();
                if (_active.Count == 0)
                {
                    if (!await _incoming.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
                    {
                        break;
                    }

                    continue;
                }

                var result = await _executor.Infer(stopping).ConfigureAwait(false);
                if (result != DecodeResult.Ok)
                {
                    FailAll($"The model could not decode this batch ({result}).");
                    continue;
                }

                SampleReadySequences();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // As in the service: one failure ends the running requests, not the loop.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                FailAll($"Generation failed: {exception.Message}");
            }
        }

        FailAll("The engine was stopped.");
        while (_incoming.Reader.TryRead(out var pending))
        {
            pending.Updates.TryWrite(new EngineUpdate(true, "The engine was stopped."));
            pending.Updates.TryComplete();
        }
    }

    private void Admit()
    {
        while (_active.Count < _maxParallelSequences && _incoming.Reader.TryRead(out var pending))
        {
            if (pending.CancellationToken.IsCancellationRequested)
            {
                pending.Updates.TryWrite(new EngineUpdate(true, "cancelled"));
                pending.Updates.TryComplete();
                continue;
            }

            var conversation = _executor.Create();
            conversation.Prompt(pending.Prompt.AsSpan());
            _active.Add(new Active(pending, conversation, CreateSampler(pending.Sampling, pending.IgnoreEndOfGeneration), new StreamingTokenDecoder(_executor.Context)));
        }
    }

    private void SampleReadySequences()
    {
        var vocabulary = _weights.Vocab;
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var sequence = _active[i];
            if (!sequence.Conversation.RequiresSampling)
            {
                continue; // its prompt is still being decoded in a later batch
            }

            if (sequence.Pending.CancellationToken.IsCancellationRequested)
            {
                Finish(i, "cancelled");
                continue;
            }

            var token = sequence.Conversation.Sample(sequence.Sampler);
            if (token.IsEndOfGeneration(vocabulary) && !sequence.Pending.IgnoreEndOfGeneration)
            {
                Finish(i, null);
                continue;
            }

            sequence.Generated++;
            sequence.Decoder.Add(token);
            _ = sequence.Decoder.Read(); // the text is made as the service makes it, then dropped
            sequence.Pending.Updates.TryWrite(new EngineUpdate(false, null));
            if (sequence.Generated >= sequence.Pending.MaxTokens)
            {
                Finish(i, null);
            }
            else
            {
                sequence.Conversation.Prompt(token);
            }
        }
    }

    private void Finish(int index, string? error)
    {
        var sequence = _active[index];
        _active.RemoveAt(index);
        sequence.Sampler.Dispose();
        sequence.Conversation.Dispose();
        sequence.Pending.Updates.TryWrite(new EngineUpdate(true, error));
        sequence.Pending.Updates.TryComplete();
    }

    private void FailAll(string message)
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            Finish(i, message);
        }
    }

    /// <summary>The service's sampler for the same request fields (its defaults for min_p and the penalties).</summary>
    private static DefaultSamplingPipeline CreateSampler(SamplingSpec sampling, bool ignoreEndOfGeneration) => new()
    {
        Temperature = sampling.Temperature,
        TopP = sampling.TopP,
        TopK = sampling.TopK,
        MinP = 0.05f,
        RepeatPenalty = sampling.RepeatPenalty,
        Seed = unchecked((uint)sampling.Seed),
        PreventEOS = ignoreEndOfGeneration,
    };

    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _executor.Dispose();
        _stopping.Dispose();
    }

    private sealed record Pending(LLamaToken[] Prompt, int MaxTokens, SamplingSpec Sampling, bool IgnoreEndOfGeneration,
        ChannelWriter<EngineUpdate> Updates, CancellationToken CancellationToken);

    private sealed class Active(Pending pending, Conversation conversation, DefaultSamplingPipeline sampler, StreamingTokenDecoder decoder)
    {
        public Pending Pending { get; } = pending;
        public Conversation Conversation { get; } = conversation;
        public DefaultSamplingPipeline Sampler { get; } = sampler;
        public StreamingTokenDecoder Decoder { get; } = decoder;
        public int Generated { get; set; }
    }
}
