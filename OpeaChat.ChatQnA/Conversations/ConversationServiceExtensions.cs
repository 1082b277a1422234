using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Prompts;

// In the root namespace, beside AddChatQnAServices, which calls it.
namespace OpeaChat.ChatQnA;

public static class ConversationServiceExtensions
{
    /// <summary>
    /// The conversation database (SQLite in <c>ChatQnA:DataDirectory</c>, or PostgreSQL when
    /// <c>ConnectionStrings:conversations</c> is set), migrated at start, and the stores over it.
    /// </summary>
    public static IHostApplicationBuilder AddConversationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ConversationStorageOptions>()
            .Bind(builder.Configuration.GetSection(ConversationStorageOptions.SectionName))
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString = configuration.GetConnectionString(ConversationStorageOptions.ConnectionStringName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);

        // Watches every write for "out of space" (507 and /health); interceptors registered as IInterceptor (a test's
        // injected fault) join it.
        builder.Services.AddSingleton<ConversationsStorageMonitor>();

        // Both providers are registered; the options (read when first needed, after all configuration is in) pick one.
        builder.Services.AddDbContextFactory<SqliteConversationsDbContext>((services, options) =>
            ConversationsDatabase.UseSqlite(options, services.GetRequiredService<IOptions<ConversationStorageOptions>>().Value.DatabasePath, Interceptors(services)));
        builder.Services.AddDbContextFactory<PostgresConversationsDbContext>((services, options) =>
            ConversationsDatabase.UsePostgres(options, services.GetRequiredService<IOptions<ConversationStorageOptions>>().Value.ConnectionString!, Interceptors(services)));
        builder.Services.AddSingleton<IDbContextFactory<ConversationsDbContext>>(services =>
        {
            if (services.GetRequiredService<IOptions<ConversationStorageOptions>>().Value.UsesPostgres)
            {
                var postgres = services.GetRequiredService<IDbContextFactory<PostgresConversationsDbContext>>();
                return new ConversationsDbContextFactory(postgres.CreateDbContext);
            }

            var sqlite = services.GetRequiredService<IDbContextFactory<SqliteConversationsDbContext>>();
            return new ConversationsDbContextFactory(sqlite.CreateDbContext);
        });

        builder.Services.AddHostedService<ConversationsDatabaseInitializer>();
        builder.Services.AddSingleton<ConversationStore>();
        builder.Services.AddSingleton<MessageTreeStore>();
        builder.Services.AddSingleton<PromptStore>();
        builder.Services.AddHealthChecks().AddCheck<ConversationsDatabaseHealthCheck>("conversations-database");
        return builder;
    }

    private static IInterceptor[] Interceptors(IServiceProvider services) =>
        [.. services.GetRequiredService<ConversationsStorageMonitor>().Interceptors, .. services.GetServices<IInterceptor>()];
}
