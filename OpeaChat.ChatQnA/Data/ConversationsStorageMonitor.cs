using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// Remembers whether the conversation database last refused a write for lack of space (SQLite's SQLITE_FULL,
/// PostgreSQL's disk_full), so <c>/health</c> can say so and the doors can answer 507 instead of an empty 500.
/// It learns from its interceptors on every context (failed commands, saved changes) and from the callers that
/// catch such a failure themselves; the next write that succeeds clears it.
/// </summary>
public sealed partial class ConversationsStorageMonitor(ILogger<ConversationsStorageMonitor> logger)
{
    private const int SqliteFull = 13;
    private const string PostgresDiskFull = "53100";
    private volatile bool _full;

    /// <summary>True while the newest write to the database failed because it is out of space.</summary>
    public bool IsFull => _full;

    /// <summary>What to add to each conversations context.</summary>
    public IInterceptor[] Interceptors => [new CommandWatcher(this), new SaveWatcher(this)];

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) says the database has no room to write.</summary>
    public static bool IsOutOfSpace(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SqliteException { SqliteErrorCode: SqliteFull } or Npgsql.PostgresException { SqlState: PostgresDiskFull })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Notes a failed write; returns whether it was for lack of space.</summary>
    public bool Observe(Exception exception)
    {
        if (!IsOutOfSpace(exception))
        {
            return false;
        }

        if (!_full)
        {
            _full = true;
            LogFull(logger, exception);
        }

        return true;
    }

    public void WriteSucceeded()
    {
        if (_full)
        {
            _full = false;
            LogWritable(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The conversation database is out of space: replies and changes cannot be saved until space is freed")]
    private static partial void LogFull(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The conversation database takes writes again")]
    private static partial void LogWritable(ILogger logger);

    private sealed class CommandWatcher(ConversationsStorageMonitor monitor) : DbCommandInterceptor
    {
        public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => monitor.Observe(eventData.Exception);

        public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            monitor.Observe(eventData.Exception);
            return Task.CompletedTask;
        }

        // ExecuteUpdate and ExecuteDelete: only a statement that changed rows proves the database takes writes.
        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            if (result > 0)
            {
                monitor.WriteSucceeded();
            }

            return ValueTask.FromResult(result);
        }
    }

    private sealed class SaveWatcher(ConversationsStorageMonitor monitor) : SaveChangesInterceptor
    {
        public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            if (result > 0)
            {
                monitor.WriteSucceeded();
            }

            return ValueTask.FromResult(result);
        }

        public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            monitor.Observe(eventData.Exception);
            return Task.CompletedTask;
        }
    }
}
