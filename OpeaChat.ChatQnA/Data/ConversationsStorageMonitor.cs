using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpeaChat.ChatQnA.Data;

/// <summary>Why the conversation database refuses writes.</summary>
public enum StorageProblem
{
    None,

    /// <summary>No room: SQLite's SQLITE_FULL, PostgreSQL's disk_full.</summary>
    Full,

    /// <summary>Read-only: SQLite's SQLITE_READONLY (a read-only file or folder), PostgreSQL's read_only_sql_transaction (a standby).</summary>
    ReadOnly,
}

/// <summary>
/// Remembers whether the conversation database last refused a write for lack of space or because it is read-only, so
/// <c>/health</c> can say so and the doors can answer 507 or 503 instead of an empty 500. It learns from its
/// interceptors on every context (failed commands, saved changes) and from the callers that catch such a failure
/// themselves; the next write that succeeds clears it.
/// </summary>
public sealed partial class ConversationsStorageMonitor(ILogger<ConversationsStorageMonitor> logger)
{
    private const int SqliteReadOnly = 8;
    private const int SqliteFull = 13;
    private const string PostgresDiskFull = "53100";
    private const string PostgresReadOnlyTransaction = "25006";
    private volatile StorageProblem _problem;

    /// <summary>What kept the newest write out of the database; <see cref="StorageProblem.None"/> once one succeeds.</summary>
    public StorageProblem Problem => _problem;

    /// <summary>What to add to each conversations context.</summary>
    public IInterceptor[] Interceptors => [new CommandWatcher(this), new SaveWatcher(this)];

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) says the database cannot take writes, and why.</summary>
    public static StorageProblem ProblemOf(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SqliteException { SqliteErrorCode: SqliteFull }:
                case Npgsql.PostgresException { SqlState: PostgresDiskFull }:
                    return StorageProblem.Full;
                case SqliteException { SqliteErrorCode: SqliteReadOnly }:
                case Npgsql.PostgresException { SqlState: PostgresReadOnlyTransaction }:
                    return StorageProblem.ReadOnly;
            }
        }

        return StorageProblem.None;
    }

    /// <summary>Notes a failed write; returns whether it was for lack of space or a read-only database.</summary>
    public bool Observe(Exception exception)
    {
        var problem = ProblemOf(exception);
        if (problem == StorageProblem.None)
        {
            return false;
        }

        if (_problem != problem)
        {
            _problem = problem;
            if (problem == StorageProblem.Full)
            {
                LogFull(logger, exception);
            }
            else
            {
                LogReadOnly(logger, exception);
            }
        }

        return true;
    }

    public void WriteSucceeded()
    {
        if (_problem != StorageProblem.None)
        {
            _problem = StorageProblem.None;
            LogWritable(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The conversation database is read-only: replies and changes cannot be saved until it takes writes again")]
    private static partial void LogReadOnly(ILogger logger, Exception exception);

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
