using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpeaChat.ChatQnA.Prompts;

namespace OpeaChat.ChatQnA.Data;

/// <summary>Provider set-up and start-up work (migrations, WAL, built-in prompts), shared by the app, dotnet-ef and tests.</summary>
public static class ConversationsDatabase
{
    public static void UseSqlite(DbContextOptionsBuilder options, string databasePath, params IInterceptor[] interceptors)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
        }.ToString();
        options.UseSqlite(connectionString)
            .AddInterceptors([SqliteUnicodeLower.Instance, .. interceptors]);
        QuietCommands(options);
    }

    public static void UsePostgres(DbContextOptionsBuilder options, string connectionString, params IInterceptor[] interceptors)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.UseNpgsql(connectionString);
        if (interceptors.Length > 0)
        {
            options.AddInterceptors(interceptors);
        }

        QuietCommands(options);
    }

    /// <summary>A factory of SQLite contexts on one database file, outside dependency injection (tests, tools).</summary>
    public static IDbContextFactory<ConversationsDbContext> CreateSqliteFactory(string databasePath, params IInterceptor[] interceptors)
    {
        var options = new DbContextOptionsBuilder<SqliteConversationsDbContext>();
        UseSqlite(options, databasePath, interceptors);
        var built = options.Options;
        return new ConversationsDbContextFactory(() => new SqliteConversationsDbContext(built));
    }

    /// <summary>A factory of PostgreSQL contexts on one database, outside dependency injection (tests, tools).</summary>
    public static IDbContextFactory<ConversationsDbContext> CreatePostgresFactory(string connectionString, params IInterceptor[] interceptors)
    {
        var options = new DbContextOptionsBuilder<PostgresConversationsDbContext>();
        UsePostgres(options, connectionString, interceptors);
        var built = options.Options;
        return new ConversationsDbContextFactory(() => new PostgresConversationsDbContext(built));
    }

    /// <summary>
    /// Brings the database to the current model: creates the SQLite file's folder, applies the provider's migrations,
    /// turns on SQLite's write-ahead log (readers do not wait for a writer) and seeds the built-in prompts.
    /// </summary>
    public static async Task InitializeAsync(IDbContextFactory<ConversationsDbContext> contexts, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(time);
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        var sqlite = context is SqliteConversationsDbContext;
        if (sqlite && new SqliteConnectionStringBuilder(context.Database.GetConnectionString()).DataSource is { Length: > 0 } file
            && Path.GetDirectoryName(Path.GetFullPath(file)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        await context.Database.MigrateAsync(cancellationToken);
        if (sqlite)
        {
            // The journal mode is kept in the file, so this holds for every later connection.
            await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        try
        {
            await BuiltInPrompts.SeedAsync(context, time, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another gateway on the same database (scale-out on PostgreSQL) inserted them between our read and our
            // write: read again, now finding its rows, instead of failing this start.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            await BuiltInPrompts.SeedAsync(again, time, cancellationToken);
        }
    }

    private static void QuietCommands(DbContextOptionsBuilder options) =>
        // Every statement at Information would drown the gateway's own logs; they stay visible at Debug.
        options.ConfigureWarnings(warnings => warnings.Log((RelationalEventId.CommandExecuted, LogLevel.Debug)));

    /// <summary>
    /// SQLite's own <c>lower()</c> folds ASCII only; this replaces it per connection with .NET's invariant lower-casing,
    /// so case-insensitive search works for "Ärger" and "ärger" alike.
    /// </summary>
    private sealed class SqliteUnicodeLower : DbConnectionInterceptor
    {
        public static readonly SqliteUnicodeLower Instance = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Register(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Register(connection);
            return Task.CompletedTask;
        }

        private static void Register(DbConnection connection)
        {
            if (connection is SqliteConnection sqlite)
            {
                sqlite.CreateFunction<string?, string?>("lower", text => text?.ToLowerInvariant(), isDeterministic: true);
            }
        }
    }
}

/// <summary>Hands out contexts of whichever provider is configured, typed as the shared base.</summary>
public sealed class ConversationsDbContextFactory(Func<ConversationsDbContext> create) : IDbContextFactory<ConversationsDbContext>
{
    public ConversationsDbContext CreateDbContext() => create();
}
