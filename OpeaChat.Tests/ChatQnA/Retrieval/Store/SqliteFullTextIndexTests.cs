using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Store;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Tests.ChatQnA.Conversations;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

/// <summary>
/// The SQLite store's in-memory BM25 index against FTS5 itself: the store keeps its <c>chunks_fts</c> table, so every
/// ranking can be checked against <c>bm25(chunks_fts, 1.0, 0.5)</c> on the same rows (one index, so that FTS5's
/// table-wide statistics are the index's).
/// </summary>
public sealed class SqliteFullTextIndexTests : IDisposable
{
    private const string Index = "default";
    private static readonly string[] Words =
        ["harbour", "lighthouse", "tram", "ferry", "island", "bakery", "cardamom", "glacier", "choir", "church", "moose", "otter"];

    private readonly TempDirectory _directory = new();
    private readonly SqliteDocumentStore _store;

    public SqliteFullTextIndexTests()
    {
        _store = new SqliteDocumentStore(DatabasePath, TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
    }

    private static CancellationToken Token => CancellationToken.None;

    private string DatabasePath => Path.Combine(_directory.Path, "documents.db");

    [Fact]
    public async Task Rankings_and_scores_equal_fts5_bm25_with_half_weight_headings()
    {
        await _store.InitializeAsync(Token);
        var random = new Random(7);
        for (var document = 0; document < 6; document++)
        {
            await IngestAsync($"d{document}.txt", [.. Enumerable.Range(0, 15).Select(_ => (Sentence(random, random.Next(3, 30)), (string?)Sentence(random, random.Next(0, 4))))]);
        }

        foreach (var query in new[] { "harbour", "tram ferry", "lighthouse island bakery", "choir church moose otter glacier", "Harbour HARBOUR harbour", "zeppelin" })
        {
            await AssertSameAsFts5Async(query, 200);
            await AssertSameAsFts5Async(query, 5);
        }
    }

    [Fact]
    public async Task Documents_becoming_searchable_and_deleted_keep_the_ranking_equal_to_fts5()
    {
        await _store.InitializeAsync(Token);
        var random = new Random(11);
        await IngestAsync("first.txt", [("the harbour ferry", null)]);
        // The first search loads the index; every later write must be applied to it in memory.
        Assert.Single(await _store.SearchTextAsync("ferry", Index, 10, Token));

        var documents = new List<StoredDocument>();
        for (var i = 0; i < 40; i++)
        {
            // Documents of different sizes, so the in-memory segments merge in different ways.
            documents.Add(await IngestAsync($"d{i}.txt", [.. Enumerable.Range(0, 1 + (i % 7)).Select(_ => (Sentence(random, 12), (string?)"ferry notes"))]));
        }

        await AssertSameAsFts5Async("harbour ferry tram", 300);
        var quokka = await IngestAsync("quokka.txt", [("a quokka by the harbour", null)]);
        Assert.Equal(quokka.Id, (await _store.SearchTextAsync("quokka", Index, 5, Token)).Single().Chunk.DocumentId);

        foreach (var document in documents.Where((_, i) => i % 3 == 0).Append(quokka))
        {
            Assert.True(await _store.DeleteAsync(document.Id.ToString(), Index, Token));
        }

        Assert.Empty(await _store.SearchTextAsync("quokka", Index, 5, Token));
        await AssertSameAsFts5Async("harbour ferry tram", 300);
        await AssertSameAsFts5Async("lighthouse notes", 7);
        Assert.Equal(0, await _store.DeleteAllAsync(Index, Token) - 27);
        Assert.Empty(await _store.SearchTextAsync("ferry", Index, 10, Token));
    }

    [Theory]
    [InlineData("Crème brûlée at the Café", "creme brulee cafe")]
    [InlineData("creme brulee at the cafe", "CRÈME Brûlée")]
    [InlineData("Cre\u0300me bru\u0302le\u0301e", "crème brûlée")]
    [InlineData("ÅNGSTRÖM Ørsted Łódź", "ångström")]
    [InlineData("Ελληνικά ΚΕΙΜΕΝΟ", "κειμενο")]
    [InlineData("Москва ЗИМОЙ", "зимой")]
    [InlineData("東京タワー and 42nd street", "東京タワー")]
    [InlineData("snake_case-and.dots", "case")]
    [InlineData("x86 64bit", "X86")]
    public async Task Case_and_diacritics_are_folded_as_fts5_folds_them(string text, string query)
    {
        await _store.InitializeAsync(Token);
        await IngestAsync("folded.txt", [(text, null), ("an unrelated chunk", null)]);

        var hits = await _store.SearchTextAsync(query, Index, 5, Token);

        Assert.Equal(text, Assert.Single(hits).Chunk.Text);
        await AssertSameAsFts5Async(query, 5);
        // Every token FTS5 made of the text is a token of the in-memory index too, with the same score.
        foreach (var term in await Fts5TermsAsync())
        {
            await AssertSameAsFts5Async(term, 5);
        }
    }

    [Fact]
    public async Task A_restarted_store_loads_the_full_text_from_the_database()
    {
        await _store.InitializeAsync(Token);
        await IngestAsync("a.txt", [("walruses sunbathe on ice floes", "Walruses"), ("walruses use tusks", null)]);

        using var restarted = new SqliteDocumentStore(DatabasePath, TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
        await restarted.InitializeAsync(Token);

        var hits = await restarted.SearchTextAsync("walruses tusks", Index, 5, Token);
        Assert.Equal(["walruses use tusks", "walruses sunbathe on ice floes"], hits.Select(hit => hit.Chunk.Text));
        await AssertSameAsFts5Async("walruses tusks", 5);
    }

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static string Sentence(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[(int)Math.Min(Words.Length - 1, Math.Floor(-Math.Log(1 - random.NextDouble()) * 3))]));

    private async Task<StoredDocument> IngestAsync(string name, (string Text, string? Heading)[] chunks)
    {
        var document = await _store.AddAsync(new NewDocument(name, DocumentTypes.File, Index, 1, "txt"), Token);
        Assert.True(await _store.CompleteAsync(document.Id,
            [.. chunks.Select((chunk, i) => new NewChunk(i, chunk.Text, chunk.Heading, null, [1, i, 0, 0]))], Token));
        return document;
    }

    /// <summary>The store's hits equal FTS5's best <paramref name="limit"/> by bm25, equal scores by rowid.</summary>
    private async Task AssertSameAsFts5Async(string query, int limit)
    {
        var expected = await Fts5Async(query, limit);
        var actual = await _store.SearchTextAsync(query, Index, limit, Token);

        Assert.Equal(expected.Select(hit => hit.Key), actual.Select(hit => (hit.Chunk.DocumentId, hit.Chunk.Index)));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].Score, 9);
        }
    }

    private async Task<List<((Guid, int) Key, double Score)>> Fts5Async(string query, int limit)
    {
        // The words as the store's query has them: lower-cased runs of letters and digits, each once.
        var words = System.Text.RegularExpressions.Regex.Split(query, @"[^\p{L}\p{Nd}\p{Mn}]+")
            .Where(word => word.Length > 0).Select(word => word.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (words.Count == 0)
        {
            return [];
        }

        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.document_id, c.chunk_index, -bm25(chunks_fts, 1.0, 0.5) AS score
            FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
            WHERE chunks_fts MATCH $query ORDER BY score DESC, c.id LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$query", string.Join(" OR ", words.Select(word => $"\"{word}\"")));
        command.Parameters.AddWithValue("$limit", limit);
        var hits = new List<((Guid, int), double)>();
        await using var reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            hits.Add(((Guid.Parse(reader.GetString(0)), reader.GetInt32(1)), reader.GetDouble(2)));
        }

        return hits;
    }

    private async Task<List<string>> Fts5TermsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT term FROM chunks_vocab ORDER BY term;";
        var terms = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            terms.Add(reader.GetString(0));
        }

        return terms;
    }
}
