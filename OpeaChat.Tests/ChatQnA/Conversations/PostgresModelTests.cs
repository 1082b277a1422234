using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpeaChat.ChatQnA;
using OpeaChat.ChatQnA.Data;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>
/// The PostgreSQL side of the model, checked without a server: the migrations are there and up to date, and the
/// schema they make is PostgreSQL's.
/// </summary>
public sealed class PostgresModelTests : IDisposable
{
    private readonly PostgresConversationsDbContext _context;

    public PostgresModelTests()
    {
        var options = new DbContextOptionsBuilder<PostgresConversationsDbContext>();
        // Never opened: nothing here connects.
        ConversationsDatabase.UsePostgres(options, "Host=postgres.invalid;Database=opeachat");
        _context = new PostgresConversationsDbContext(options.Options);
    }

    public void Dispose() => _context.Dispose();

    [Fact]
    public void The_postgres_migrations_are_its_own_and_match_the_model()
    {
        var migrations = _context.Database.GetMigrations().ToList();

        Assert.Contains(migrations, id => id.EndsWith("_InitialCreate", StringComparison.Ordinal));
        var assembly = _context.GetService<IMigrationsAssembly>();
        Assert.All(assembly.Migrations.Values, type => Assert.Equal("OpeaChat.ChatQnA.Data.Migrations.Postgres", type.Namespace));
        Assert.False(_context.Database.HasPendingModelChanges(), "The model has changed since the last PostgreSQL migration: add one with dotnet ef.");
    }

    [Fact]
    public void The_migration_script_creates_the_tables_with_postgres_types()
    {
        var script = _context.GetService<IMigrator>().GenerateScript();

        Assert.Contains("CREATE TABLE conversations", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE messages", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE prompts", script, StringComparison.Ordinal);
        Assert.Contains("id uuid NOT NULL", script, StringComparison.Ordinal);
        Assert.Contains("created_at timestamp with time zone NOT NULL", script, StringComparison.Ordinal);
        Assert.Contains("ON DELETE CASCADE", script, StringComparison.Ordinal);
        Assert.Contains("__EFMigrationsHistory", script, StringComparison.Ordinal);
        Assert.Contains("tokens_per_second double precision", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE conversations", _context.Database.GenerateCreateScript(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_sqlite_migrations_are_kept_apart()
    {
        using var sqlite = new SqliteConversationsDesignTimeFactory().CreateDbContext([]);
        var postgres = _context.Database.GetMigrations().ToHashSet();

        Assert.NotEmpty(sqlite.Database.GetMigrations());
        Assert.DoesNotContain(sqlite.Database.GetMigrations(), postgres.Contains);
        Assert.Equal("Microsoft.EntityFrameworkCore.Sqlite", sqlite.Database.ProviderName);
        Assert.Equal("Npgsql.EntityFrameworkCore.PostgreSQL", _context.Database.ProviderName);
    }

    [Theory]
    [InlineData("Host=postgres.invalid;Database=opeachat", typeof(PostgresConversationsDbContext))]
    [InlineData(null, typeof(SqliteConversationsDbContext))]
    public void The_conversations_connection_string_picks_postgres_over_sqlite(string? connectionString, Type expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:conversations"] = connectionString;
        builder.Configuration["ChatQnA:DataDirectory"] = "/nonexistent/opeachat-data";
        builder.AddConversationServices();
        using var services = builder.Services.BuildServiceProvider();

        using var context = services.GetRequiredService<IDbContextFactory<ConversationsDbContext>>().CreateDbContext();

        Assert.IsType(expected, context);
        if (connectionString is null)
        {
            Assert.Contains("/nonexistent/opeachat-data/opeachat.db", context.Database.GetConnectionString(), StringComparison.Ordinal);
        }
    }
}
