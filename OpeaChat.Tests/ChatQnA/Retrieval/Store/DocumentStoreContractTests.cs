using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

/// <summary>
/// What every <see cref="IDocumentStore"/> must do, run against each real store by a subclass: the lifecycle of a
/// document, both searches, and the guarantees (searchable all at once, restart recovery, index isolation).
/// </summary>
public abstract partial class DocumentStoreContractTests : IAsyncLifetime
{
    protected const string Index = "default";
    protected const string OtherIndex = "other";

    private readonly List<IDocumentStore> _opened = [];

    protected static CancellationToken Token => CancellationToken.None;

    protected IDocumentStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await PrepareDatabaseAsync();
        Store = await OpenAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await CloseAsync(store);
        }

        await DropDatabaseAsync();
    }

    /// <summary>Makes an empty database for this test (a folder, a schema).</summary>
    protected abstract Task PrepareDatabaseAsync();

    /// <summary>A new store instance on this test's database, as a gateway would create one at start.</summary>
    protected abstract IDocumentStore CreateStore();

    protected abstract Task CloseAsync(IDocumentStore store);

    protected abstract Task DropDatabaseAsync();

    /// <summary>Creates and initialises a new store on the same database: a gateway (re)starting.</summary>
    protected async Task<IDocumentStore> OpenAsync()
    {
        var store = CreateStore();
        _opened.Add(store);
        await store.InitializeAsync(Token);
        return store;
    }

    /// <summary>Closes the first store, as a gateway that stopped, and opens a new one on the same database.</summary>
    protected async Task<IDocumentStore> RestartAsync()
    {
        await CloseAsync(Store);
        _opened.Remove(Store);
        Store = await OpenAsync();
        return Store;
    }

    protected Task<StoredDocument> AddAsync(string name, string index = Index, string type = DocumentTypes.File) =>
        Store.AddAsync(new NewDocument(name, type, index, 1234, "txt"), Token);

    /// <summary>Adds a document and makes it searchable with one chunk per text, each with the given vector.</summary>
    protected async Task<StoredDocument> IngestAsync(string name, string index, params (string Text, float[] Vector)[] chunks)
    {
        var document = await AddAsync(name, index);
        var written = await Store.CompleteAsync(
            document.Id,
            [.. chunks.Select((chunk, i) => new NewChunk(i, chunk.Text, $"Heading {i}", i + 1, chunk.Vector))],
            Token);
        Assert.True(written);
        return document;
    }

    protected static float[] Unit(params float[] values)
    {
        var length = MathF.Sqrt(values.Sum(value => value * value));
        return [.. values.Select(value => value / length)];
    }

    /// <summary>The i-th basis vector of <paramref name="dimensions"/>: orthogonal to every other one.</summary>
    protected static float[] Basis(int i, int dimensions = 4)
    {
        var vector = new float[dimensions];
        vector[i] = 1;
        return vector;
    }

    [Fact]
    public async Task Added_document_is_queued_found_and_listed_oldest_first_per_index()
    {
        var first = await AddAsync("first.txt");
        var second = await Store.AddAsync(new NewDocument("https://example.com/page", DocumentTypes.Link, Index, 0, null), Token);
        var elsewhere = await AddAsync("first.txt", OtherIndex);

        var found = await Store.FindAsync(first.Id, Token);
        Assert.NotNull(found);
        Assert.Equal("first.txt", found.Name);
        Assert.Equal(DocumentTypes.File, found.Type);
        Assert.Equal(Index, found.IndexName);
        Assert.Equal(DocumentStatuses.Queued, found.Status);
        Assert.Equal(1234, found.Bytes);
        Assert.Equal("txt", found.Format);
        Assert.Equal(0, found.Chunks);
        Assert.Null(found.IngestedAt);
        Assert.Equal(first.CreatedAt, found.CreatedAt);

        Assert.Equal([first.Id, second.Id], (await Store.ListAsync(Index, Token)).Select(document => document.Id));
        Assert.Equal([elsewhere.Id], (await Store.ListAsync(OtherIndex, Token)).Select(document => document.Id));
        Assert.Equal([first.Id, second.Id, elsewhere.Id], (await Store.ListAsync(null, Token)).Select(document => document.Id));
        Assert.Null(await Store.FindAsync(Guid.NewGuid(), Token));
    }

    [Fact]
    public async Task A_name_is_unique_within_its_index_and_a_failed_one_is_replaced()
    {
        var original = await AddAsync("report.pdf");
        var thrown = await Assert.ThrowsAsync<DocumentExistsException>(() => AddAsync("report.pdf"));
        Assert.Equal("report.pdf", thrown.Name);
        Assert.Equal(Index, thrown.IndexName);
        await AddAsync("report.pdf", OtherIndex);

        Assert.True(await Store.SetStatusAsync(original.Id, DocumentStatuses.Failed, "could not parse", null, Token));
        var again = await AddAsync("report.pdf");

        Assert.Null(await Store.FindAsync(original.Id, Token));
        Assert.Equal(DocumentStatuses.Queued, (await Store.FindAsync(again.Id, Token))!.Status);
        Assert.Single(await Store.ListAsync(Index, Token));
    }

    [Fact]
    public async Task Status_moves_along_with_facts_and_failure_keeps_the_reason()
    {
        var document = await AddAsync("notes.md");
        Assert.True(await Store.SetStatusAsync(document.Id, DocumentStatuses.Parsed, null, new DocumentFacts("pdf", 12, 34_567), Token));
        var parsed = (await Store.FindAsync(document.Id, Token))!;
        Assert.Equal(DocumentStatuses.Parsed, parsed.Status);
        Assert.Equal("pdf", parsed.Format);
        Assert.Equal(12, parsed.Pages);

        Assert.True(await Store.SetStatusAsync(document.Id, DocumentStatuses.Embedded, null, null, Token));
        Assert.Equal(12, (await Store.FindAsync(document.Id, Token))!.Pages);

        Assert.True(await Store.SetStatusAsync(document.Id, DocumentStatuses.Failed, "The embedding service is down.", null, Token));
        var failed = (await Store.FindAsync(document.Id, Token))!;
        Assert.Equal(DocumentStatuses.Failed, failed.Status);
        Assert.Equal("The embedding service is down.", failed.Error);
    }

    [Fact]
    public async Task Status_changes_refuse_searchable_unknown_statuses_and_finished_documents()
    {
        var document = await AddAsync("a.txt");
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SetStatusAsync(document.Id, DocumentStatuses.Searchable, null, null, Token));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SetStatusAsync(document.Id, "done", null, null, Token));
        Assert.False(await Store.SetStatusAsync(Guid.NewGuid(), DocumentStatuses.Parsed, null, null, Token));

        Assert.True(await Store.CompleteAsync(document.Id, [new NewChunk(0, "text", null, null, Basis(0))], Token));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.SetStatusAsync(document.Id, DocumentStatuses.Failed, "late", null, Token));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.CompleteAsync(document.Id, [new NewChunk(0, "again", null, null, Basis(0))], Token));
        Assert.False(await Store.CompleteAsync(Guid.NewGuid(), [new NewChunk(0, "gone", null, null, Basis(0))], Token));
        Assert.Equal(1, await Store.CountChunksAsync(Index, Token));
    }

    [Fact]
    public async Task Completing_makes_all_chunks_searchable_at_once()
    {
        var document = await AddAsync("guide.txt");
        Assert.True(await Store.SetStatusAsync(document.Id, DocumentStatuses.Embedded, null, null, Token));
        Assert.Equal(0, await Store.CountChunksAsync(Index, Token));
        Assert.Empty(await Store.SearchVectorAsync(Basis(0), Index, 10, Token));

        Assert.True(await Store.CompleteAsync(document.Id,
        [
            new NewChunk(0, "The ferry to Ulvøya leaves at seven.", "Timetable", 1, Basis(0)),
            new NewChunk(1, "Tickets are sold on board.", "Tickets", 2, Basis(1)),
        ], Token));

        var completed = (await Store.FindAsync(document.Id, Token))!;
        Assert.Equal(DocumentStatuses.Searchable, completed.Status);
        Assert.Equal(2, completed.Chunks);
        Assert.NotNull(completed.IngestedAt);
        Assert.Null(completed.Error);
        Assert.Equal(2, await Store.CountChunksAsync(Index, Token));

        var hit = Assert.Single(await Store.SearchVectorAsync(Basis(1), Index, 1, Token));
        Assert.Equal(document.Id, hit.Chunk.DocumentId);
        Assert.Equal("guide.txt", hit.Chunk.DocumentName);
        Assert.Equal(Index, hit.Chunk.IndexName);
        Assert.Equal(1, hit.Chunk.Index);
        Assert.Equal("Tickets are sold on board.", hit.Chunk.Text);
        Assert.Equal("Tickets", hit.Chunk.Heading);
        Assert.Equal(2, hit.Chunk.Page);
        Assert.Equal(Basis(1), hit.Chunk.Vector.ToArray());
        Assert.False(string.IsNullOrEmpty(hit.Chunk.Id));
    }

    [Fact]
    public async Task Only_searchable_documents_are_found()
    {
        var searchable = await IngestAsync("kept.txt", Index, ("Saffron buns are baked on Lucia day.", Basis(0)));
        var pending = await AddAsync("pending.txt");
        Assert.True(await Store.SetStatusAsync(pending.Id, DocumentStatuses.Embedded, null, null, Token));
        var failed = await AddAsync("failed.txt");
        Assert.True(await Store.SetStatusAsync(failed.Id, DocumentStatuses.Failed, "bad file", null, Token));

        var text = await Store.SearchTextAsync("saffron buns", Index, 10, Token);
        Assert.Equal([searchable.Id], text.Select(hit => hit.Chunk.DocumentId));
        var nearest = await Store.SearchVectorAsync(Basis(0), Index, 10, Token);
        Assert.Equal([searchable.Id], nearest.Select(hit => hit.Chunk.DocumentId));
        Assert.Equal(1, await Store.CountChunksAsync(Index, Token));
    }
}
