using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// Admission: the requests a decode loop has taken (running or waiting), up to its capacity of parallel sequences
/// plus wait queue. Each request gets its own channel of updates; <see cref="Complete"/> ends it and frees its place.
/// </summary>
internal sealed class RequestQueue(int capacity)
{
    private readonly Channel<PendingGeneration> _waiting = Channel.CreateUnbounded<PendingGeneration>(new UnboundedChannelOptions { SingleReader = true });
    private int _inFlight;
    private volatile bool _acceptingRequests = true;

    public int Capacity => capacity;

    /// <summary>Requests taken and not yet completed: the running ones and those waiting.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Queues a request. Returns false without queueing when the queue is full or closed.</summary>
    public bool TryEnqueue(GenerationRequest request, out ChannelReader<GenerationUpdate> updates)
    {
        updates = null!;
        if (!_acceptingRequests)
        {
            return false;
        }

        if (Interlocked.Increment(ref _inFlight) > capacity)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _waiting.Writer.TryWrite(new PendingGeneration(request, channel.Writer, Stopwatch.GetTimestamp()));
        updates = channel.Reader;
        return true;
    }

    public bool TryDequeue([MaybeNullWhen(false)] out PendingGeneration pending) => _waiting.Reader.TryRead(out pending);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _waiting.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Sends the result as the request's last update and frees its place.</summary>
    public void Complete(PendingGeneration pending, GenerationResult result)
    {
        pending.Updates.TryWrite(new GenerationUpdate(null, result));
        pending.Updates.TryComplete();
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>Ends every waiting request with an error.</summary>
    public void FailWaiting(string message)
    {
        while (_waiting.Reader.TryRead(out var pending))
        {
            Complete(pending, new GenerationResult(GenerationResult.Failed, pending.Request.PromptTokens.Count, 0, message));
        }
    }

    /// <summary>Refuses new requests from now on; those taken still run.</summary>
    public void StopAccepting() => _acceptingRequests = false;

    /// <summary>Refuses new requests and ends the waiting reader's stream.</summary>
    public void Close()
    {
        _acceptingRequests = false;
        _waiting.Writer.TryComplete();
    }
}
