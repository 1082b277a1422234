using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Dataprep.Chunking;
using OpeaChat.ChatQnA.Dataprep.Links;
using OpeaChat.ChatQnA.Dataprep.Parsing;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.ChatQnA.Dataprep.Ingestion;

/// <summary>
/// Makes queued documents searchable, one at a time: fetch (links) and parse → chunk → embed → store, reporting each
/// step as the document's status. Any failure fails that document with the reason and the next one goes on; the
/// chunks of a document are written together (<see cref="IDocumentStore.CompleteAsync"/>) or not at all.
/// </summary>
public sealed partial class IngestionWorker(
    IngestionQueue queue, IServiceScopeFactory scopes, IOptions<DataprepOptions> options, RetrievalTelemetry telemetry, ILogger<IngestionWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in queue.ReadAllAsync(stoppingToken))
            {
                await IngestAsync(job, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is failed by the store's start-up check next time.
        }
    }

    private async Task IngestAsync(IngestionJob job, CancellationToken cancellationToken)
    {
        using var activity = RetrievalTelemetry.Start("ingest");
        activity?.SetTag("document", job.Name);
        activity?.SetTag("index_name", job.IndexName);
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();
        try
        {
            var parsed = job.Parsed ?? await FetchAndParseAsync(job, scope.ServiceProvider, store, cancellationToken);
            if (parsed is null)
            {
                return;
            }

            var chunks = RecursiveChunker.Chunk(parsed.Sections, job.ChunkSize, job.ChunkOverlap);
            if (!await store.SetStatusAsync(job.DocumentId, DocumentStatuses.Chunked, null, null, cancellationToken))
            {
                return;
            }

            var embeddings = scope.ServiceProvider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            var vectors = new List<float[]>(chunks.Count);
            foreach (var batch in chunks.Chunk(options.Value.EmbeddingBatchSize))
            {
                var generated = await embeddings.GenerateAsync(batch.Select(chunk => chunk.Text), cancellationToken: cancellationToken);
                vectors.AddRange(generated.Select(embedding => Vectors.Normalized(embedding.Vector.ToArray())));
            }

            if (!await store.SetStatusAsync(job.DocumentId, DocumentStatuses.Embedded, null, null, cancellationToken))
            {
                return;
            }

            var written = await store.CompleteAsync(job.DocumentId,
                chunks.Select((chunk, i) => new NewChunk(chunk.Index, chunk.Text, chunk.Heading, chunk.Page, vectors[i])).ToList(), cancellationToken);
            if (written)
            {
                telemetry.RecordIngested(job.IndexName, DocumentStatuses.Searchable);
                LogIngested(logger, job.Name, job.IndexName, chunks.Count);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception) when (exception is DocumentParseException or LinkRefusedException or HttpRequestException or VectorDimensionException
            or InvalidOperationException or ArgumentException or TaskCanceledException)
        {
            var reason = exception switch
            {
                HttpRequestException or TaskCanceledException => $"The embedding model could not embed its chunks: {exception.Message}",
                DocumentParseException => $"{job.Name}: {exception.Message}",
                _ => exception.Message,
            };
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, reason);
            LogFailed(logger, exception, job.Name, reason);
            telemetry.RecordIngested(job.IndexName, DocumentStatuses.Failed);
            await store.SetStatusAsync(job.DocumentId, DocumentStatuses.Failed, reason, null, CancellationToken.None);
        }
    }

    private static async Task<ParsedDocument?> FetchAndParseAsync(IngestionJob job, IServiceProvider services, IDocumentStore store, CancellationToken cancellationToken)
    {
        var fetched = await services.GetRequiredService<LinkFetcher>().FetchAsync(job.Link!, cancellationToken);
        var parsed = services.GetRequiredService<DocumentParser>().Parse(fetched.FinalUri.AbsolutePath, fetched.Content, fetched.ContentType);
        var facts = new DocumentFacts(parsed.Format, parsed.Pages, parsed.Characters);
        return await store.SetStatusAsync(job.DocumentId, DocumentStatuses.Parsed, null, facts, cancellationToken) ? parsed : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested {Document} into {IndexName}: {Chunks} chunks")]
    private static partial void LogIngested(ILogger logger, string document, string indexName, int chunks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ingest {Document}: {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string document, string reason);
}
