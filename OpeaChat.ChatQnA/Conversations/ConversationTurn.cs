using System.Diagnostics;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>A tool's result as a turn brings it: the call it answers and what the tool returned.</summary>
public sealed record ToolResult(string ToolCallId, string Content);

/// <summary>
/// One exchange of a conversation, prepared but not yet written: nothing is stored until the door calls
/// <see cref="BeginAsync"/> (a stream, once inference accepted it) or <see cref="SaveAsync"/> (a whole answer), so a
/// refused request leaves the conversation as it was. A streamed reply is a <see cref="MessageStatuses.Streaming"/>
/// row whose text is saved in steps, so a gateway that dies mid-reply loses at most the last step.
/// </summary>
public sealed partial class ConversationTurn
{
    private readonly ReplyRecorder _recorder;
    private readonly TimeSpan _saveInterval;
    private readonly Guid? _parentId;
    private readonly string? _userText;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<ToolResult>? _toolResults;
    private Guid? _userMessageId;
    private Task _progress = Task.CompletedTask;
    private long _lastSavedAt;

    internal ConversationTurn(ReplyRecorder recorder, TimeSpan saveInterval, ILogger logger, Guid conversationId, Guid? parentId, string? userText, Guid? userMessageId,
        IReadOnlyList<ToolResult>? toolResults = null)
    {
        _toolResults = toolResults;
        _recorder = recorder;
        _saveInterval = saveInterval;
        _logger = logger;
        ConversationId = conversationId;
        _parentId = parentId;
        _userText = userText;
        _userMessageId = userMessageId;
    }

    public Guid ConversationId { get; }

    /// <summary>The user message answered (for a tool turn, its last tool message); for a new one, known once the turn is written.</summary>
    public Guid UserMessageId => _userMessageId ?? throw new InvalidOperationException("The turn has not been written yet.");

    /// <summary>Whether the turn adds a user message (else it answers a stored one again).</summary>
    public bool UserMessageIsNew => _userText is not null;

    /// <summary>The tool messages the turn adds (below the assistant's tool calls) instead of a user message.</summary>
    public IReadOnlyList<ToolResult> ToolResults => _toolResults ?? [];

    /// <summary>The reply's message, once written.</summary>
    public Guid? ReplyId { get; private set; }

    /// <summary>The chunks the reply is built from, saved with it.</summary>
    public IReadOnlyList<RetrievedSource>? Sources { get; set; }

    /// <summary>Writes the user message (if new) and an empty streaming reply, the new active leaf, in one transaction.</summary>
    public Task BeginAsync() => WriteFirstAsync(ReplyState.Streaming);

    /// <summary>
    /// Saves the text so far when the last save is older than the interval and done: called per chunk, it never
    /// waits for the database, so the stream is not slowed. A failed step is logged; the final save decides.
    /// </summary>
    public void SaveProgress(Func<string> text, Func<IReadOnlyList<OpeaChat.Contracts.OpenAi.ToolCall>?>? toolCalls = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ReplyId is not { } replyId || !_progress.IsCompleted || Stopwatch.GetElapsedTime(_lastSavedAt) < _saveInterval)
        {
            return;
        }

        _lastSavedAt = Stopwatch.GetTimestamp();
        var snapshot = text();
        var calls = toolCalls?.Invoke();
        _progress = Task.Run(async () =>
        {
            try
            {
                await _recorder.UpdateTextAsync(replyId, snapshot, calls);
            }
            catch (Exception exception)
            {
                LogProgressFailed(_logger, exception, ConversationId);
            }
        });
    }

    /// <summary>The reply as it ended; for a turn not yet written, the user message and this reply in one transaction.</summary>
    public async Task SaveAsync(ReplyState reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (ReplyId is not { } replyId)
        {
            await WriteFirstAsync(reply);
            return;
        }

        await _progress;
        await _recorder.FinishAsync(ConversationId, replyId, reply);
    }

    private async Task WriteFirstAsync(ReplyState reply)
    {
        var (user, replyId) = await _recorder.BeginAsync(ConversationId, _parentId, _userText, _userMessageId, reply, Sources, _toolResults);
        _userMessageId = user;
        ReplyId = replyId;
        _lastSavedAt = Stopwatch.GetTimestamp();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the text so far of a reply in conversation {ConversationId}")]
    private static partial void LogProgressFailed(ILogger logger, Exception exception, Guid conversationId);
}
