using System.Diagnostics;
using System.Text;
using OpeaChat.ChatQnA.Telemetry;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>How a reply ended: all of it, cut off by the client, or broken by a failure.</summary>
public enum ReplyStatus
{
    Complete,
    Stopped,
    Failed,
}

/// <summary>
/// One streamed reply from inference, opened far enough to know it was accepted (the first chunk arrived), then read
/// by a door that writes it in its own format. It keeps the text, usage and how it ended, so the reply can be stored
/// whatever happens, and reports the gateway's latency metrics.
/// </summary>
public sealed class ReplyStream : IAsyncDisposable
{
    private readonly IAsyncEnumerator<ChatCompletionChunk> _chunks;
    private readonly GatewayMetrics _metrics;
    private readonly Activity? _span;
    private readonly long _startedAt;
    private readonly StringBuilder _text = new();
    private readonly ToolCallCollector _toolCalls = new();
    private long? _firstTokenAt;
    private int _pieces;
    private bool _ended;

    private ReplyStream(IAsyncEnumerator<ChatCompletionChunk> chunks, GatewayMetrics metrics, Activity? span, long startedAt)
    {
        _chunks = chunks;
        _metrics = metrics;
        _span = span;
        _startedAt = startedAt;
    }

    public string Text => _text.ToString();

    /// <summary>The tool calls so far (see <see cref="ToolCallCollector"/>), or null when the reply made none.</summary>
    public IReadOnlyList<ToolCall>? ToolCalls => _toolCalls.Calls;

    public string? FinishReason { get; private set; }

    public Usage? Usage { get; private set; }

    public string? Model { get; private set; }

    public ReplyStatus Status { get; private set; } = ReplyStatus.Stopped;

    public string? Error { get; private set; }

    /// <summary>Turns of the history left out so the chat fits the model's context.</summary>
    public int TrimmedTurns { get; set; }

    /// <summary>Tokens per second of the reply, from its first token to its last.</summary>
    public double? TokensPerSecond =>
        _firstTokenAt is { } first && Usage is { CompletionTokens: > 1 } usage
            ? (usage.CompletionTokens - 1) / Math.Max(Stopwatch.GetElapsedTime(first, _endedAt ?? Stopwatch.GetTimestamp()).TotalSeconds, 1e-6)
            : null;

    private long? _endedAt;

    /// <summary>
    /// Starts the reply. Errors before the first chunk (no model, loading, busy, bad request) throw
    /// <see cref="InferenceException"/> with inference's status, so the door can answer with a status code.
    /// </summary>
    public static async Task<ReplyStream> OpenAsync(InferenceClient inference, ChatCompletionRequest request, GatewayMetrics metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inference);
        ArgumentNullException.ThrowIfNull(request);
        metrics.RequestStarted();
        // Started here, so the HTTP call made by the first MoveNextAsync is its child; it ends with the stream (End).
        var span = GenerateSpan.Start(request, stream: true);
        var chunks = inference.StreamAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var stream = new ReplyStream(chunks, metrics, span, Stopwatch.GetTimestamp());
        try
        {
            if (!await chunks.MoveNextAsync())
            {
                throw new InferenceException(System.Net.HttpStatusCode.BadGateway, "The inference service sent an empty reply.");
            }
        }
        catch (Exception exception)
        {
            // A client that left before the first chunk stopped the reply (DisposeAsync ends it so); anything else failed it.
            if (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                stream.Status = ReplyStatus.Failed;
                stream.Error = exception.Message;
                stream.End(exception);
            }

            await stream.DisposeAsync();
            throw;
        }

        // Known from the first chunk, so a door can tell which model answers before it relays anything.
        stream.Model = chunks.Current.Model;
        return stream;
    }

    /// <summary>
    /// The reply's chunks, the first included. A failure part-way throws <see cref="InferenceException"/> after the
    /// chunks before it; <see cref="Status"/> then says <see cref="ReplyStatus.Failed"/>.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionChunk> ReadAllAsync()
    {
        var more = true;
        while (more)
        {
            var chunk = _chunks.Current;
            Observe(chunk);
            yield return chunk;
            try
            {
                more = await _chunks.MoveNextAsync();
            }
            catch (InferenceException exception)
            {
                Status = ReplyStatus.Failed;
                Error = exception.Message;
                End(exception);
                throw;
            }
        }

        Status = ReplyStatus.Complete;
        End();
    }

    private void Observe(ChatCompletionChunk chunk)
    {
        Model ??= chunk.Model;
        Usage = chunk.Usage ?? Usage;
        foreach (var choice in chunk.Choices)
        {
            if (choice.Delta.ToolCalls is { Count: > 0 } calls)
            {
                _toolCalls.Add(calls);
            }

            if (!string.IsNullOrEmpty(choice.Delta.Content) || choice.Delta.ToolCalls is { Count: > 0 })
            {
                if (_firstTokenAt is null)
                {
                    _firstTokenAt = Stopwatch.GetTimestamp();
                    _metrics.RecordFirstToken(Stopwatch.GetElapsedTime(_startedAt, _firstTokenAt.Value));
                }

                _pieces++;
                _text.Append(choice.Delta.Content ?? string.Empty);
            }

            FinishReason = choice.FinishReason ?? FinishReason;
        }
    }

    private void End(Exception? failure = null)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        _endedAt = Stopwatch.GetTimestamp();
        _metrics.RecordCompleted(Stopwatch.GetElapsedTime(_startedAt, _endedAt.Value),
            _firstTokenAt is { } first ? Stopwatch.GetElapsedTime(_startedAt, first) : null, _pieces);
        if (failure is not null)
        {
            GenerateSpan.Failed(_span, failure, Model, Usage);
        }
        else
        {
            GenerateSpan.Ended(_span, Status == ReplyStatus.Complete ? "complete" : "stopped", Model, Usage, FinishReason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ended)
        {
            End(); // read no further: the client left (Stopped) or the door gave up
        }

        _metrics.RequestEnded();
        await _chunks.DisposeAsync();
    }
}

/// <summary>
/// Puts a stream's <c>delta.tool_calls</c> back together: pieces with the same index are one call, the first giving
/// its id and name, the rest fragments of its arguments, concatenated. A reply stopped or saved part-way keeps what
/// had arrived: the last call's arguments may then be cut short (not valid JSON). Such a call is stored as it came,
/// so the person sees it, but the reply's status (stopped, failed or streaming) says it never finished, and a call
/// of a reply that did not complete is neither sent back to the model nor answerable by a tool message.
/// </summary>
public sealed class ToolCallCollector
{
    private readonly SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)> _calls = [];
    private readonly Lock _gate = new();

    public void Add(IEnumerable<ToolCallDelta> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        lock (_gate)
        {
            foreach (var delta in deltas)
            {
                var call = _calls.TryGetValue(delta.Index, out var known) ? known : (null, null, new StringBuilder());
                call.Id ??= delta.Id;
                call.Name ??= delta.Function?.Name;
                call.Arguments.Append(delta.Function?.Arguments);
                _calls[delta.Index] = call;
            }
        }
    }

    /// <summary>The calls so far in index order, or null when none arrived; safe to read while chunks still come.</summary>
    public IReadOnlyList<ToolCall>? Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.Count == 0 ? null : [.. _calls.Values.Select(call => new ToolCall
                {
                    Id = call.Id,
                    Type = "function",
                    Function = new FunctionCall { Name = call.Name, Arguments = call.Arguments.ToString() },
                })];
            }
        }
    }
}
