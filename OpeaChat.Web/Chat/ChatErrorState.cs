using Microsoft.Extensions.Logging;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Chat;

/// <summary>
/// The error bar's state for one browser tab: the last request to the gateway that failed, and the action that
/// retries it. Every per-tab state class reports its failures here, so the page shows one error at a time.
/// </summary>
public sealed partial class ChatErrorState(TimeProvider clock, ILogger<ChatErrorState> logger)
{
    private int _errorCount;

    public ChatError? Error { get; private set; }

    /// <summary>The last action that failed, so the error bar can offer Retry.</summary>
    public Func<Task>? RetryAction { get; private set; }

    public void Dismiss()
    {
        Error = null;
        RetryAction = null;
    }

    /// <summary>Runs <paramref name="action"/>; a gateway failure is logged and shown. False when it failed.</summary>
    public async Task<bool> RunAsync(Func<Task> action, Func<Task>? retry)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            await action();
            return true;
        }
        catch (ChatQnAException exception)
        {
            Log(exception);
            Show(exception, retry);
            return false;
        }
    }

    /// <summary>Shows <paramref name="exception"/> in the error bar (not logged: see <see cref="Log"/>).</summary>
    public void Show(ChatQnAException exception, Func<Task>? retry)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var retryAt = exception.RetryAfter is { } delay ? clock.GetUtcNow() + delay : (DateTimeOffset?)null;
        Error = new ChatError(exception.Failure, exception.Message, ++_errorCount, retryAt);
        RetryAction = retry;
    }

    /// <summary>Logs a gateway failure (also those that are not shown, such as a failed refresh after a reply).</summary>
    public void Log(ChatQnAException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway request failed ({Failure}, HTTP {StatusCode}): {Reason}")]
    private static partial void LogGatewayFailure(ILogger logger, ChatQnAFailure failure, System.Net.HttpStatusCode? statusCode, string reason);
}
