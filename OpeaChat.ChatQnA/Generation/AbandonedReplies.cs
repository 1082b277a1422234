using OpeaChat.ChatQnA.Conversations;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// At gateway start, turns the replies a crashed gateway left <c>streaming</c> into <c>failed</c>, with the text
/// they had saved, so nothing a person saw is gone and no reply looks as if it were still being written.
/// One gateway per database is assumed (SQLite); gateways sharing PostgreSQL should start before taking chats.
/// </summary>
public sealed partial class AbandonedReplies(ReplyRecorder recorder, ILogger<AbandonedReplies> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var failed = await recorder.FailAbandonedAsync(cancellationToken);
        if (failed > 0)
        {
            LogRecovered(logger, failed);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} replies were left streaming by a gateway that stopped mid-reply; they are now failed, with the text saved so far")]
    private static partial void LogRecovered(ILogger logger, int count);
}
