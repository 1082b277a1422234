using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Store;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

/// <summary>
/// The contract on PostgreSQL 18 with pgvector (PGlite over the wire). Each test starts from dropped tables, so every
/// test also runs the store's schema creation; an index test reads PostgreSQL's own catalogue.
/// </summary>
[Collection(PgliteCollection.Name)]
public sealed class PgvectorDocumentStoreTests(PgliteServer server) : DocumentStoreContractTests
{
    protected override Task PrepareDatabaseAsync() =>
        server.ExecuteAsync("DROP TABLE IF EXISTS document_chunks, documents, document_schema_version CASCADE;");

    protected override IDocumentStore CreateStore() =>
        PgvectorDocumentStore.Create(
            new DocumentStorageOptions { ConnectionString = server.ConnectionString },
            TimeProvider.System,
            NullLogger<PgvectorDocumentStore>.Instance);

    protected override async Task CloseAsync(IDocumentStore store) => await ((PgvectorDocumentStore)store).DisposeAsync();

    protected override Task DropDatabaseAsync() => Task.CompletedTask;

    [Fact]
    public async Task Each_dimension_gets_a_cosine_hnsw_index_that_searches_use()
    {
        await IngestAsync("four.txt", Index, ("four", Basis(0)));
        await IngestAsync("three.txt", OtherIndex, ("three", Basis(0, 3)));

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(Token);
        await using var indexes = new NpgsqlCommand(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'document_chunks' AND indexdef LIKE '%hnsw%' ORDER BY indexname;", connection);
        var found = new List<(string Name, string Definition)>();
        await using (var reader = await indexes.ExecuteReaderAsync(Token))
        {
            while (await reader.ReadAsync(Token))
            {
                found.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Equal(["document_chunks_embedding_3", "document_chunks_embedding_4"], found.Select(index => index.Name));
        Assert.All(found, index => Assert.Contains("vector_cosine_ops", index.Definition, StringComparison.Ordinal));

        // With sequential scans off, the plan of the store's query shape must go through the partial HNSW index.
        await using var plan = new NpgsqlCommand("""
            SET enable_seqscan = off;
            EXPLAIN SELECT c.id FROM document_chunks c WHERE c.dimensions = 4
            ORDER BY c.embedding::vector(4) <=> '[1,0,0,0]'::vector(4) LIMIT 5;
            """, connection);
        var lines = new List<string>();
        await using (var reader = await plan.ExecuteReaderAsync(Token))
        {
            while (await reader.ReadAsync(Token))
            {
                lines.Add(reader.GetString(0));
            }
        }

        Assert.Contains(lines, line => line.Contains("document_chunks_embedding_4", StringComparison.Ordinal));
        await using var reset = new NpgsqlCommand("RESET enable_seqscan;", connection);
        await reset.ExecuteNonQueryAsync(Token);
    }
}
