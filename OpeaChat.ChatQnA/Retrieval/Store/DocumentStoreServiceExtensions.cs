using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Store;

// In the root namespace, beside AddChatQnAServices, which calls it.
namespace OpeaChat.ChatQnA;

public static class DocumentStoreServiceExtensions
{
    /// <summary>
    /// The document store: SQLite (<c>documents.db</c> in <c>ChatQnA:DataDirectory</c>) or, when
    /// <c>ConnectionStrings:documents</c> or else <c>ConnectionStrings:conversations</c> is set, PostgreSQL with
    /// pgvector; its schema is created at start.
    /// </summary>
    public static IHostApplicationBuilder AddDocumentStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DocumentStorageOptions>()
            .Bind(builder.Configuration.GetSection(DocumentStorageOptions.SectionName))
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString = configuration.GetConnectionString(DocumentStorageOptions.ConnectionStringName) is { Length: > 0 } documents
                    ? documents
                    : configuration.GetConnectionString(DocumentStorageOptions.FallbackConnectionStringName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IDocumentStore>(services =>
        {
            var options = services.GetRequiredService<IOptions<DocumentStorageOptions>>().Value;
            var time = services.GetRequiredService<TimeProvider>();
            var loggers = services.GetRequiredService<ILoggerFactory>();
            return options.UsesPostgres
                ? PgvectorDocumentStore.Create(options, time, loggers.CreateLogger<PgvectorDocumentStore>())
                : new SqliteDocumentStore(options.DatabasePath, time, loggers.CreateLogger<SqliteDocumentStore>());
        });
        builder.Services.AddHostedService<DocumentStoreInitializer>();
        return builder;
    }
}
