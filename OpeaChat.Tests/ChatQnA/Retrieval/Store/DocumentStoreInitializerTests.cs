using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Store;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Tests.ChatQnA.Conversations;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

/// <summary>At start the gateway loads every collection's search indexes in the background, not at the first question.</summary>
public sealed class DocumentStoreInitializerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => Path.Combine(_directory.Path, "documents.db");

    [Fact]
    public async Task A_start_loads_the_indexes_of_collections_with_searchable_documents_only()
    {
        using (var writer = new SqliteDocumentStore(DatabasePath, TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance))
        {
            await writer.InitializeAsync(CancellationToken.None);
            var ready = await writer.AddAsync(new NewDocument("faq.md", DocumentTypes.File, "handbook", 10, "md"), CancellationToken.None);
            Assert.True(await writer.CompleteAsync(ready.Id, [new NewChunk(0, "the ferry leaves at noon", null, null, [1, 0])], CancellationToken.None));
            await writer.AddAsync(new NewDocument("queued.md", DocumentTypes.File, "drafts", 10, "md"), CancellationToken.None);
        }

        using var store = new SqliteDocumentStore(DatabasePath, TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
        var logger = new FakeLogger<DocumentStoreInitializer>();
        var initializer = new DocumentStoreInitializer(store, Options.Create(new DocumentStorageOptions { DataDirectory = _directory.Path }), new QuietLifetime(), logger);

        await initializer.StartAsync(CancellationToken.None);
        await initializer.StopAsync(CancellationToken.None); // waits for the background load

        var loaded = logger.Collector.GetSnapshot().Where(record => record.Message.StartsWith("Loaded the search indexes", StringComparison.Ordinal)).ToList();
        var state = Assert.Single(loaded).StructuredState!;
        Assert.Equal("handbook", state.Single(pair => pair.Key == "IndexName").Value);
        Assert.Equal("1", state.Single(pair => pair.Key == "Chunks").Value); // the chunk really is in memory
        Assert.Single(await store.SearchTextAsync("ferry", "handbook", 5, CancellationToken.None));
    }

    public void Dispose() => _directory.Dispose();

    private sealed class QuietLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
