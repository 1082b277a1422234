using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// The model on PostgreSQL (used when <c>ConnectionStrings:conversations</c> is set), with its own migrations in
/// <c>Data/Migrations/Postgres</c>.
/// </summary>
public sealed class PostgresConversationsDbContext(DbContextOptions<PostgresConversationsDbContext> options) : ConversationsDbContext(options);

/// <summary>
/// For <c>dotnet ef migrations add … --context PostgresConversationsDbContext</c>: generating migrations needs no server,
/// so the connection string is a placeholder that is never opened.
/// </summary>
public sealed class PostgresConversationsDesignTimeFactory : IDesignTimeDbContextFactory<PostgresConversationsDbContext>
{
    public PostgresConversationsDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresConversationsDbContext>();
        ConversationsDatabase.UsePostgres(options, "Host=localhost;Database=opeachat");
        return new PostgresConversationsDbContext(options.Options);
    }
}
