using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>Fails the commit of every transaction while armed: the statements have run, the commit has not.</summary>
internal sealed class FailingCommit : DbTransactionInterceptor
{
    public volatile bool Armed;

    public override InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result) =>
        Armed ? throw new InvalidOperationException("Simulated failure before commit.") : result;

    public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result,
        CancellationToken cancellationToken = default) =>
        Armed ? throw new InvalidOperationException("Simulated failure before commit.") : ValueTask.FromResult(result);
}

/// <summary>The text of every statement run, to check what a transaction held.</summary>
internal sealed class CommandLog : DbCommandInterceptor
{
    private readonly List<string> _texts = [];

    public IReadOnlyList<string> Texts
    {
        get
        {
            lock (_texts)
            {
                return [.. _texts];
            }
        }
    }

    public void Clear()
    {
        lock (_texts)
        {
            _texts.Clear();
        }
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(result);
    }

    private void Record(DbCommand command)
    {
        lock (_texts)
        {
            _texts.Add(command.CommandText);
        }
    }
}
