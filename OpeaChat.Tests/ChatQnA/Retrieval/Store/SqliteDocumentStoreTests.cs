using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Store;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Tests.ChatQnA.Conversations;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

/// <summary>The contract on a real <c>documents.db</c> in a fresh temp folder per test (so these run in parallel).</summary>
public sealed class SqliteDocumentStoreTests : DocumentStoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => Path.Combine(_directory.Path, "documents.db");

    protected override Task PrepareDatabaseAsync() => Task.CompletedTask;

    protected override IDocumentStore CreateStore() =>
        new SqliteDocumentStore(DatabasePath, TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);

    protected override Task CloseAsync(IDocumentStore store)
    {
        ((SqliteDocumentStore)store).Dispose();
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync() => Task.CompletedTask;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_database_is_its_own_file_in_write_ahead_log_mode_with_a_schema_version()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", await command.ExecuteScalarAsync(Token));
        command.CommandText = "SELECT version FROM schema_version;";
        Assert.Equal(1L, await command.ExecuteScalarAsync(Token));

        // A second start on the same file changes nothing.
        await OpenAsync();
        Assert.Equal(1L, await command.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task Deleting_a_document_leaves_no_chunk_and_no_full_text_row()
    {
        var document = await IngestAsync("gone.txt", Index, ("Walruses sunbathe on ice floes.", Basis(0)), ("Walruses use tusks to climb.", Basis(1)));
        Assert.True(await Store.DeleteAsync(document.Id.ToString(), Index, Token));

        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM chunks;";
        Assert.Equal(0L, await command.ExecuteScalarAsync(Token));
        // External-content FTS5 would still match a deleted row's terms if the delete trigger had not run.
        command.CommandText = "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'walruses';";
        Assert.Equal(0L, await command.ExecuteScalarAsync(Token));
        command.CommandText = "INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check');";
        await command.ExecuteNonQueryAsync(Token);
    }

    [Fact]
    public async Task Words_in_most_chunks_of_a_large_store_are_left_out_of_full_text_queries()
    {
        var document = await AddAsync("large.txt");
        var chunks = Enumerable.Range(0, 1200)
            .Select(i => new NewChunk(i, i == 700 ? "the zebra grazes" : $"the chunk number {i}", null, null, Basis(i % 4)))
            .ToList();
        Assert.True(await Store.CompleteAsync(document.Id, chunks, Token));

        // "the" is in every chunk: with it, every chunk would match; without it, only the zebra's does.
        var hits = await Store.SearchTextAsync("the zebra", Index, 10, Token);
        Assert.Equal(700, Assert.Single(hits).Chunk.Index);
        // A query of common words only is still searched.
        Assert.Equal(10, (await Store.SearchTextAsync("the", Index, 10, Token)).Count);
        // So is one whose other words match nothing.
        Assert.Equal(10, (await Store.SearchTextAsync("the okapi", Index, 10, Token)).Count);
    }

    [Fact]
    public async Task A_large_index_scanned_on_several_threads_gives_the_exact_order_with_ties_by_position()
    {
        // Enough rows for the scan to be split; a few directions only, so most scores tie.
        var document = await AddAsync("many.txt");
        float[][] directions = [Unit(1, 0, 0, 0), Unit(1, 1, 0, 0), Unit(1, 0.5f, 0, 0), Unit(0, 1, 0, 0), Unit(1, 0.25f, 0.1f, 0)];
        var chunks = Enumerable.Range(0, 40_000)
            .Select(i => new NewChunk(i, $"chunk {i}", null, null, directions[(i * 7919) % 97 == 0 ? 4 : (i % 3) + 1]))
            .ToList();
        Assert.True(await Store.CompleteAsync(document.Id, chunks, Token));
        var query = Unit(1, 0.2f, 0.05f, 0);

        var hits = await Store.SearchVectorAsync(query, Index, 50, Token);

        var expected = chunks
            .Select(chunk => (chunk.Index, Score: System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(chunk.Vector, query)))
            .OrderByDescending(pair => Math.Round(pair.Score, 5)).ThenBy(pair => pair.Index)
            .Take(50).ToList();
        Assert.Equal(expected.Select(pair => pair.Index), hits.Select(hit => hit.Chunk.Index));
        Assert.Equal(hits.Select(hit => hit.Chunk.Index), (await Store.SearchVectorAsync(query, Index, 50, Token)).Select(hit => hit.Chunk.Index));
    }
}
