using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Prompts;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>The database the stores work on, created and migrated as the gateway does at start.</summary>
public sealed class ConversationsDatabaseTests : StoreTestBase
{
    [Fact]
    public async Task A_fresh_directory_gets_the_database_with_every_migration_in_wal_mode_and_the_built_in_prompts()
    {
        Assert.True(File.Exists(DatabasePath));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changed since the last SQLite migration: add one with dotnet ef.");
        Assert.Equal("wal", await ScalarAsync(db, "PRAGMA journal_mode;"));
        Assert.Equal(
            [BuiltInPrompts.AssistantId, BuiltInPrompts.OpeaChatQnAId],
            await db.Prompts.Where(p => p.BuiltIn).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());

        // Starting again on the same file changes nothing.
        await ConversationsDatabase.InitializeAsync(Contexts, TimeProvider.System, Token);
        Assert.Equal(2, await db.Prompts.CountAsync());
    }

    [Fact]
    public async Task A_rival_gateway_seeding_between_our_read_and_our_write_does_not_fail_the_start()
    {
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            await db.Prompts.Where(p => p.BuiltIn).ExecuteDeleteAsync();
        }

        // Just before our save, a rival (another connection) inserts the same rows: ours then breaks the unique key.
        var rival = ConversationsDatabase.CreateSqliteFactory(DatabasePath);
        var racing = ConversationsDatabase.CreateSqliteFactory(DatabasePath, new RivalSeedsFirst(rival));

        await ConversationsDatabase.InitializeAsync(racing, TimeProvider.System, Token);

        await using var check = await Contexts.CreateDbContextAsync();
        Assert.Equal([BuiltInPrompts.AssistantId, BuiltInPrompts.OpeaChatQnAId],
            await check.Prompts.Where(p => p.BuiltIn).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());
    }

    private static async Task<string?> ScalarAsync(DbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (await command.ExecuteScalarAsync())?.ToString();
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    /// <summary>On the first save, lets another gateway's seeding run to completion first.</summary>
    private sealed class RivalSeedsFirst(IDbContextFactory<ConversationsDbContext> rival) : SaveChangesInterceptor
    {
        private int _saves;

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _saves) == 1)
            {
                await using var other = await rival.CreateDbContextAsync(cancellationToken);
                await BuiltInPrompts.SeedAsync(other, TimeProvider.System, cancellationToken);
            }

            return result;
        }
    }
}
