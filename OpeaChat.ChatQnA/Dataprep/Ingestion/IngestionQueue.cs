using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Dataprep.Parsing;

namespace OpeaChat.ChatQnA.Dataprep.Ingestion;

/// <summary>A stored document waiting to be made searchable: its parsed text (a file), or the link to fetch first.</summary>
public sealed record IngestionJob(Guid DocumentId, string Name, string IndexName, int ChunkSize, int ChunkOverlap, ParsedDocument? Parsed, Uri? Link);

/// <summary>The documents that ingestion requests queued for <see cref="IngestionWorker"/>, bounded by <see cref="DataprepOptions.MaxQueuedDocuments"/>.</summary>
public sealed class IngestionQueue(IOptions<DataprepOptions> options)
{
    private readonly Channel<IngestionJob> _jobs = Channel.CreateBounded<IngestionJob>(new BoundedChannelOptions(options.Value.MaxQueuedDocuments)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private int _waiting;

    /// <summary>Whether <paramref name="count"/> more documents fit the queue now.</summary>
    public bool HasRoomFor(int count) => Volatile.Read(ref _waiting) + count <= options.Value.MaxQueuedDocuments;

    public bool TryEnqueue(IngestionJob job)
    {
        if (!_jobs.Writer.TryWrite(job))
        {
            return false;
        }

        Interlocked.Increment(ref _waiting);
        return true;
    }

    public async IAsyncEnumerable<IngestionJob> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var job in _jobs.Reader.ReadAllAsync(cancellationToken))
        {
            Interlocked.Decrement(ref _waiting);
            yield return job;
        }
    }
}
