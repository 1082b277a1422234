using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Data;

/// <summary>Applies migrations and seeds built-in prompts before the gateway takes requests.</summary>
public sealed partial class ConversationsDatabaseInitializer(
    IDbContextFactory<ConversationsDbContext> contexts,
    IOptions<ConversationStorageOptions> options,
    TimeProvider time,
    ILogger<ConversationsDatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var storage = options.Value;
        var where = storage.UsesPostgres ? "PostgreSQL (ConnectionStrings:conversations)" : storage.DatabasePath;
        try
        {
            await ConversationsDatabase.InitializeAsync(contexts, time, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(logger, where, exception);
            throw;
        }

        LogReady(logger, where);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation database ready: {Database}")]
    private static partial void LogReady(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not open or migrate the conversation database {Database}")]
    private static partial void LogFailed(ILogger logger, string database, Exception exception);
}
