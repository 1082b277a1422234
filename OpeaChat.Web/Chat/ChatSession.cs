using Microsoft.Extensions.Logging;

namespace OpeaChat.Web.Chat;

/// <summary>An error to show above the input, in the gateway's own words where it gave any.</summary>
public sealed record ChatError(string Message, bool IsWarning, int Id);

/// <summary>What <see cref="ChatSession.SendAsync"/> did with the user's text.</summary>
public enum SendOutcome
{
    /// <summary>Nothing was sent (empty text, or a reply is still streaming).</summary>
    NotSent,

    /// <summary>The reply arrived in full.</summary>
    Replied,

    /// <summary>The user stopped the reply; what arrived is kept.</summary>
    Stopped,

    /// <summary>The user stopped before any text arrived: the question left the conversation and its text should go back to the input.</summary>
    Withdrawn,

    /// <summary>The request failed; <see cref="ChatSession.Error"/> says why and the text should go back to the input.</summary>
    Failed,
}

/// <summary>
/// The conversation of one browser tab (one Blazor circuit): its messages, the reply in progress and the last
/// error. It knows nothing of rendering; <c>changed</c> callbacks tell the page when to draw.
/// </summary>
public sealed partial class ChatSession(ChatQnAClient client, ILogger<ChatSession> logger)
{
    private readonly List<ChatMessage> _messages = [];
    private int _errorCount;

    public IReadOnlyList<ChatMessage> Messages => _messages;

    public bool IsSending { get; private set; }

    /// <summary>True while a reply was asked for and no text of it has arrived yet.</summary>
    public bool IsWaitingForFirstToken => IsSending && _messages.Count > 0 && _messages[^1] is { Role: ChatRole.Assistant, IsEmpty: true };

    public ChatError? Error { get; private set; }

    public void DismissError() => Error = null;

    /// <summary>Starts a new conversation (only when no reply is streaming).</summary>
    public void Clear()
    {
        if (!IsSending)
        {
            _messages.Clear();
            Error = null;
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> with the whole visible conversation and streams the reply into
    /// <see cref="Messages"/>, calling <paramref name="changed"/> after every piece.
    /// </summary>
    public async Task<SendOutcome> SendAsync(string text, Action changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        text = text?.Trim() ?? string.Empty;
        if (text.Length == 0 || IsSending)
        {
            return SendOutcome.NotSent;
        }

        Error = null;
        var question = ChatMessage.FromUser(text);
        _messages.Add(question);
        var history = _messages
            .Where(message => !message.IsEmpty)
            .Select(message => new OpeaChatMessage(message.WireRole, message.Text))
            .ToList();
        var reply = ChatMessage.StartReply();
        _messages.Add(reply);
        IsSending = true;
        changed();

        try
        {
            await foreach (var piece in client.StreamReplyAsync(history, cancellationToken))
            {
                reply.Append(piece);
                changed();
            }

            reply.End(ReplyState.Complete);
            return SendOutcome.Replied;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reply.End(ReplyState.Stopped);
            return RemoveIfEmpty(question, reply) ? SendOutcome.Withdrawn : SendOutcome.Stopped;
        }
        catch (ChatQnAException exception)
        {
            LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
            Fail(question, reply, exception.Message, isWarning: exception.Failure == ChatQnAFailure.Unavailable);
            return SendOutcome.Failed;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogUnexpectedFailure(logger, exception);
            Fail(question, reply, $"Something went wrong while getting the reply: {exception.Message}", isWarning: false);
            return SendOutcome.Failed;
        }
        finally
        {
            IsSending = false;
            changed();
        }
    }

    private void Fail(ChatMessage question, ChatMessage reply, string message, bool isWarning)
    {
        reply.End(ReplyState.CutOff);
        _ = RemoveIfEmpty(question, reply);
        Error = new ChatError(message, isWarning, ++_errorCount);
    }

    /// <summary>A question without any answer leaves the conversation; its text goes back to the input instead.</summary>
    private bool RemoveIfEmpty(ChatMessage question, ChatMessage reply)
    {
        if (!reply.IsEmpty)
        {
            return false;
        }

        _messages.Remove(reply);
        _messages.Remove(question);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat request failed ({Failure}, HTTP {StatusCode}): {Reason}")]
    private static partial void LogGatewayFailure(ILogger logger, ChatQnAFailure failure, System.Net.HttpStatusCode? statusCode, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Chat request failed unexpectedly")]
    private static partial void LogUnexpectedFailure(ILogger logger, Exception exception);
}
