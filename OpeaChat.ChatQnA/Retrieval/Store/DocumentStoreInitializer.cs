using System.Diagnostics;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// Creates the document tables and fails interrupted ingestions before the gateway takes requests, then loads the
/// search indexes of every collection in the background, so the first question after a start does not wait for them.
/// </summary>
public sealed partial class DocumentStoreInitializer(
    IDocumentStore store, IOptions<DocumentStorageOptions> options, IHostApplicationLifetime lifetime, ILogger<DocumentStoreInitializer> logger) : IHostedService
{
    private Task _warming = Task.CompletedTask;

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

        _warming = Task.Run(() => WarmAsync(lifetime.ApplicationStopping), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken) =>
        await _warming.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    private async Task WarmAsync(CancellationToken cancellationToken)
    {
        try
        {
            var documents = await store.ListAsync(null, cancellationToken);
            foreach (var index in documents.Where(document => document.Status == DocumentStatuses.Searchable).Select(document => document.IndexName).Distinct())
            {
                var started = Stopwatch.GetTimestamp();
                var chunks = await store.WarmAsync(index, cancellationToken);
                LogWarmed(logger, index, chunks, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the first search loads what is missing.
        }
        catch (Exception exception)
        {
            // Only a head start: a search loads the index itself, and reports what fails then.
            LogWarmFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not open or create the document store {Database}")]
    private static partial void LogFailed(ILogger logger, string database, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the search indexes of collection {IndexName} ({Chunks} chunks) in {Milliseconds:F0} ms")]
    private static partial void LogWarmed(ILogger logger, string indexName, int chunks, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not load the search indexes at start; the first search loads them")]
    private static partial void LogWarmFailed(ILogger logger, Exception exception);
}
