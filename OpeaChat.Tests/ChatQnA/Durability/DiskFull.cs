using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpeaChat.Tests.ChatQnA.Durability;

/// <summary>
/// While armed, every write statement fails as SQLite fails on a full disk (SQLITE_FULL, code 13), or with
/// <see cref="ReadOnly"/> as it fails on a read-only file or folder (SQLITE_READONLY, code 8); reads go on. For when a
/// small tmpfs cannot be mounted and permissions do not bind (the tests may run as root).
/// </summary>
internal sealed class DiskFull : DbCommandInterceptor
{
    public volatile bool Armed;
    public volatile bool ReadOnly;

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    private void Check(DbCommand command)
    {
        var text = command.CommandText.TrimStart();
        if (Armed && (text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)))
        {
            throw ReadOnly
                ? new SqliteException("SQLite Error 8: 'attempt to write a readonly database'.", 8)
                : new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
        }
    }
}
