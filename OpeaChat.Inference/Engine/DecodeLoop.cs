using System.Diagnostics;
using System.Threading.Channels;
using LLama;
using LLama.Abstractions;
using LLama.Batched;
using LLama.Native;
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
/// <remarks>
/// The jobs are split: <see cref="RequestQueue"/> admits and queues requests, <see cref="SequenceScheduler"/> runs the
/// batch, <see cref="PrefixCache"/> keeps finished conversations, <see cref="KvCacheEviction"/> makes room in the KV
/// cache, <see cref="TokenSampler"/> picks each next token. This class runs the steps and owns the context.
/// </remarks>
public sealed partial class DecodeLoop : IAsyncDisposable
{
    private readonly string _modelId;
    private readonly LLamaWeights _weights;
    private readonly IContextParams _contextParams;
    private readonly ILogger _logger;
    private readonly RequestQueue _queue;
    private readonly PrefixCache _prefixCache;
    private readonly KvCacheEviction _kvCache;
    private readonly TokenSampler _sampler;
    private readonly SequenceScheduler _sequences;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _disposalLock = new();
    private readonly Task _loop;
    private BatchedExecutor _executor;
    private Task? _disposal;

    public DecodeLoop(string modelId, LLamaWeights weights, IContextParams contextParams, DecodeLoopSettings settings, InferenceMetrics metrics, ILogger logger)
    {
        _modelId = modelId;
        _weights = weights;
        _contextParams = contextParams;
        _logger = logger;
        _queue = new RequestQueue(settings.MaxParallelSequences + settings.MaxQueueLength);
        _prefixCache = new PrefixCache(settings.PrefixCacheSlots);
        _kvCache = new KvCacheEviction(settings.ContextSize, _prefixCache);
        _sampler = new TokenSampler(modelId, weights, metrics);
        _sequences = new SequenceScheduler(modelId, settings.MaxParallelSequences, _queue, _prefixCache, _kvCache, _sampler, metrics);
        _executor = new BatchedExecutor(weights, contextParams);
        _loop = Task.Run(RunAsync);
    }

    public int Capacity => _queue.Capacity;

    public DecodeLoopStatus Status
    {
        get
        {
            var active = _sequences.ActiveCount;
            return new DecodeLoopStatus(active, Math.Max(0, _queue.InFlight - active), _kvCache.CellsUsed, _prefixCache.Count, _sampler.GeneratedTokens);
        }
    }

    /// <summary>Queues a request. Returns false without queueing when the wait queue is full (the caller answers 429).</summary>
    public bool TryEnqueue(GenerationRequest request, out ChannelReader<GenerationUpdate> updates) => _queue.TryEnqueue(request, out updates);

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                _sequences.AdmitWaitingRequests(_executor);
                if (_sequences.Count == 0)
                {
                    await _queue.WaitToReadAsync(stopping).ConfigureAwait(false);
                    continue;
                }

                _kvCache.MakeRoom(_sequences.TokenCount, incomingTokens: _sequences.Count);
                var result = await _executor.Infer(stopping).ConfigureAwait(false);
                if (result != DecodeResult.Ok)
                {
                    FailAllAndReset($"The model could not decode this batch ({result}).");
                    continue;
                }

                _sequences.SampleReadySequences();
                _kvCache.UpdateCellsUsed(_sequences.TokenCount);
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

        const string Stopped = "The model was unloaded or the server is shutting down.";
        _sequences.FailAll(Stopped);
        _queue.FailWaiting(Stopped);
    }

    /// <summary>After a failed decode the batch queue may hold tokens of ended sequences: start again from a clean context.</summary>
    private void FailAllAndReset(string message)
    {
        _sequences.FailAll(message);
        _prefixCache.Clear();
        _executor.Dispose();
        _executor = new BatchedExecutor(_weights, _contextParams);
        _kvCache.UpdateCellsUsed(_sequences.TokenCount);
    }

    /// <summary>Stops taking requests, lets the running ones finish (up to <paramref name="drainTimeout"/>), then frees the context.</summary>
    public async Task DrainAndDisposeAsync(TimeSpan drainTimeout)
    {
        _queue.StopAccepting();
        var deadline = Stopwatch.GetTimestamp() + (long)(drainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (_queue.InFlight > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the loop and frees the context; every caller waits for the same, single disposal.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_disposalLock)
        {
            _disposal ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        _queue.Close();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        _prefixCache.Clear();
        _executor.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Decode step of model {ModelId} failed; running sequences were ended with an error")]
    private partial void LogDecodeFailed(Exception exception, string modelId);
}
