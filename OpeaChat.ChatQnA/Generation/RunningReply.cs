using System.Runtime.CompilerServices;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>How a running reply ended, as the doors relaying it report it: a failure ends their stream with an error event.</summary>
public sealed record ReplyEnd(ReplyStatus Status, string? FailureMessage = null, string? FailureCode = null)
{
    public bool Failed => FailureMessage is not null;
}

/// <summary>
/// A reply being generated, owned by the gateway rather than by the request that started it: a background pump reads
/// inference's chunks, saves the text in steps and the end once, and keeps the chunks for the clients that follow it
/// (the requester from its first chunk; a reloaded page from the text so far). Without
/// <see cref="ContinuesWithoutClient"/>, the requester leaving stops it, as OpenAI's API does; with it, only
/// <see cref="StopAsync"/> (or the gateway shutting down) does.
/// </summary>
public sealed partial class RunningReply
{
    private readonly ReplyStream _reply;
    private readonly ConversationTurn? _turn;
    private readonly CancellationTokenSource _stop;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<ChatCompletionChunk> _chunks = [];
    private TaskCompletionSource _changed = NewSignal();
    private ReplyEnd? _end;
    private Task _pump = Task.CompletedTask;

    private RunningReply(ReplyStream reply, ConversationTurn? turn, CancellationTokenSource stop, bool continuesWithoutClient, ILogger logger)
    {
        _reply = reply;
        _turn = turn;
        _stop = stop;
        _logger = logger;
        ContinuesWithoutClient = continuesWithoutClient;
    }

    public bool ContinuesWithoutClient { get; }

    public Guid? ConversationId => _turn?.ConversationId;

    /// <summary>The stored reply's message id (null for a reply without a conversation).</summary>
    public Guid? ReplyId => _turn?.ReplyId;

    public int TrimmedTurns => _reply.TrimmedTurns;

    /// <summary>The chunks the reply is built from (none without retrieval).</summary>
    public IReadOnlyList<RetrievedSource> Sources => _turn?.Sources ?? [];

    public string? Model => _reply.Model;

    /// <summary>How it ended; null while it runs.</summary>
    public ReplyEnd? End
    {
        get
        {
            lock (_gate)
            {
                return _end;
            }
        }
    }

    /// <summary>Done once the end is saved (or could not be).</summary>
    public Task Completion => _pump;

    /// <summary>An opened reply, not yet pumped; <paramref name="stop"/> is the token it was opened with, owned from now on.</summary>
    internal static RunningReply Create(ReplyStream reply, ConversationTurn? turn, CancellationTokenSource stop, bool continuesWithoutClient, ILogger logger) =>
        new(reply, turn, stop, continuesWithoutClient, logger);

    /// <summary>Starts the pump; <paramref name="ended"/> runs once the end is saved.</summary>
    internal void Run(Action<RunningReply> ended) =>
        _pump = Task.Run(async () =>
        {
            try
            {
                await PumpAsync();
            }
            finally
            {
                ended(this);
                _stop.Dispose();
            }
        });

    /// <summary>Stops generation and waits until the reply is saved as stopped.</summary>
    public async Task StopAsync()
    {
        try
        {
            await _stop.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // Ended already.
        }

        await _pump;
    }

    /// <summary>
    /// The reply's chunks: from the first (the requester), or (<paramref name="fromStart"/> false) one chunk with the
    /// text so far and then each new one. Ends when the reply ends; <see cref="End"/> then says how.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionChunk> FollowAsync(bool fromStart, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int next;
        ChatCompletionChunk? snapshot = null;
        lock (_gate)
        {
            next = fromStart ? 0 : _chunks.Count;
            // Built from the published chunks, not the reply's own text, which may already hold the next, unpublished one.
            var text = fromStart ? string.Empty : string.Concat(_chunks.SelectMany(chunk => chunk.Choices).Select(choice => choice.Delta.Content));
            // The tool calls so far ride on the same chunk, each whole under its index, so a follower sees them too.
            var calls = new ToolCallCollector();
            if (!fromStart)
            {
                calls.Add(_chunks.SelectMany(chunk => chunk.Choices).SelectMany(choice => choice.Delta.ToolCalls ?? []));
            }

            if (text.Length > 0 || calls.Calls is not null)
            {
                snapshot = new ChatCompletionChunk
                {
                    Id = _chunks[0].Id,
                    Created = _chunks[0].Created,
                    Model = _chunks[0].Model,
                    Choices = [new ChatCompletionChunkChoice { Index = 0, Delta = new ChatDelta
                    {
                        Role = "assistant",
                        Content = text.Length > 0 ? text : null,
                        ToolCalls = calls.Calls?.Select((call, index) => new ToolCallDelta { Index = index, Id = call.Id, Type = call.Type, Function = call.Function }).ToList(),
                    } }],
                };
            }
        }

        var completed = false;
        try
        {
            if (snapshot is not null)
            {
                yield return snapshot;
            }

            while (!completed)
            {
                ChatCompletionChunk? chunk = null;
                Task changed;
                lock (_gate)
                {
                    if (next < _chunks.Count)
                    {
                        chunk = _chunks[next++];
                    }
                    else
                    {
                        completed = _end is not null;
                    }

                    changed = _changed.Task;
                }

                if (completed)
                {
                    break;
                }

                if (chunk is not null)
                {
                    yield return chunk;
                }
                else
                {
                    await changed.WaitAsync(cancellationToken);
                }
            }
        }
        finally
        {
            // The requester left before the end: without ContinuesWithoutClient that stops the reply, as it always did.
            if (!completed && fromStart && !ContinuesWithoutClient)
            {
                _ = StopAsync();
            }
        }
    }

    private async Task PumpAsync()
    {
        ReplyEnd end;
        try
        {
            await foreach (var chunk in _reply.ReadAllAsync())
            {
                Publish(chunk);
                _turn?.SaveProgress(() => _reply.Text, () => _reply.ToolCalls);
            }

            end = await SaveEndAsync(failure: null, code: null);
        }
        catch (InferenceException exception) when (!_stop.IsCancellationRequested)
        {
            end = await SaveEndAsync(exception.Message, exception.Code ?? "inference_failed");
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Stopped (Stop, the requester leaving, or shutdown): ReplyStream says Stopped, as it does for any unread end.
            end = await SaveEndAsync(failure: null, code: null);
        }
        catch (Exception exception)
        {
            LogPumpFailed(_logger, exception);
            end = await SaveEndAsync("The reply failed in the gateway.", "reply_failed");
        }
        finally
        {
            await _reply.DisposeAsync();
        }

        lock (_gate)
        {
            _end = end;
            _changed.TrySetResult();
        }
    }

    /// <summary>Saves the reply as it ended; a save that fails turns any end into an error for the followers.</summary>
    private async Task<ReplyEnd> SaveEndAsync(string? failure, string? code)
    {
        if (await ChatQnAEndpoints.TrySaveAsync(_turn, _reply, _logger) is { } notSaved)
        {
            return new ReplyEnd(_reply.Status, RelayedReplyResult.NotSavedMessage(notSaved), RelayedReplyResult.SaveFailedCode);
        }

        return new ReplyEnd(_reply.Status, failure, code);
    }

    private void Publish(ChatCompletionChunk chunk)
    {
        lock (_gate)
        {
            _chunks.Add(chunk);
            var changed = _changed;
            _changed = NewSignal();
            changed.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Error, Message = "A running reply failed in the gateway")]
    private static partial void LogPumpFailed(ILogger logger, Exception exception);
}
