using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>Creates the document tables and fails interrupted ingestions before the gateway takes requests.</summary>
public sealed partial class DocumentStoreInitializer(
    IDocumentStore store, IOptions<DocumentStorageOptions> options, ILogger<DocumentStoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var storage = options.Value;
            LogFailed(logger, storage.UsesPostgres ? "PostgreSQL with pgvector" : storage.DatabasePath, exception);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not open or create the document store {Database}")]
    private static partial void LogFailed(ILogger logger, string database, Exception exception);
}
