using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace OpeaChat.ChatQnA.Data;

/// <summary>The model on SQLite (the default), with its own migrations in <c>Data/Migrations/Sqlite</c>.</summary>
public sealed class SqliteConversationsDbContext(DbContextOptions<SqliteConversationsDbContext> options) : ConversationsDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // SQLite has no date type and cannot order EF's DateTimeOffset text: store fixed-width UTC ISO 8601 text,
        // which sorts as time does and stays readable in the sqlite3 shell.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTextConverter>();
    }

    private sealed class UtcTextConverter() : ValueConverter<DateTimeOffset, string>(value => Format(value), text => Parse(text))
    {
        private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

        private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

        private static DateTimeOffset Parse(string text) =>
            DateTimeOffset.ParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }
}

/// <summary>For <c>dotnet ef migrations add … --context SqliteConversationsDbContext</c>; no database is opened.</summary>
public sealed class SqliteConversationsDesignTimeFactory : IDesignTimeDbContextFactory<SqliteConversationsDbContext>
{
    public SqliteConversationsDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqliteConversationsDbContext>();
        ConversationsDatabase.UseSqlite(options, Path.Combine("data", ConversationStorageOptions.DatabaseFileName));
        return new SqliteConversationsDbContext(options.Options);
    }
}
