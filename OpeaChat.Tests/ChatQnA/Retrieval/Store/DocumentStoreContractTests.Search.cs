using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.Tests.ChatQnA.Retrieval.Store;

public abstract partial class DocumentStoreContractTests
{
    private static readonly string[] Facts =
    [
        "The lighthouse on Karvik island is painted red and white.",
        "Marta's bakery opens at six and sells cardamom rolls.",
        "The tram line to the harbour was closed in 1968.",
        "Glaciers in the valley retreat about forty metres each year.",
        "The choir rehearses on Thursday evenings in the old church.",
    ];

    [Fact]
    public async Task Full_text_search_finds_the_chunk_with_the_fact_best_first()
    {
        await IngestAsync("facts.txt", Index, [.. Facts.Select((fact, i) => (fact, Basis(i % 4)))]);

        var lighthouse = await Store.SearchTextAsync("What colour is the lighthouse on Karvik?", Index, 3, Token);
        Assert.Equal(Facts[0], lighthouse[0].Chunk.Text);
        var tram = await Store.SearchTextAsync("When did the harbour tram close?", Index, 3, Token);
        Assert.Equal(Facts[2], tram[0].Chunk.Text);
        var choir = await Store.SearchTextAsync("choir rehearsal Thursday", Index, 5, Token);
        Assert.Equal(Facts[4], choir[0].Chunk.Text);

        Assert.All(tram, hit => Assert.True(hit.Score > 0, $"score {hit.Score}"));
        Assert.Equal(tram.Select(hit => hit.Score).OrderByDescending(score => score), tram.Select(hit => hit.Score));
        Assert.Empty(await Store.SearchTextAsync("zeppelin", Index, 5, Token));
        Assert.Single(await Store.SearchTextAsync("glaciers lighthouse bakery tram choir", Index, 1, Token));
    }

    [Fact]
    public async Task Vector_search_returns_exact_cosine_order_and_scores()
    {
        float[][] vectors =
        [
            Unit(1, 0, 0, 0),
            Unit(1, 1, 0, 0),
            Unit(0, 1, 0, 0),
            Unit(-1, 0, 0, 0),
            Unit(1, 0.2f, 0.1f, 0),
        ];
        var document = await IngestAsync("vectors.txt", Index, [.. vectors.Select((vector, i) => ($"chunk {i}", vector))]);
        var query = Unit(1, 0.1f, 0, 0);

        var hits = await Store.SearchVectorAsync(query, Index, 10, Token);

        var expected = vectors.Select((vector, i) => (i, cosine: vector.Zip(query, (a, b) => (double)a * b).Sum()))
            .OrderByDescending(pair => pair.cosine).ToList();
        Assert.Equal(expected.Select(pair => pair.i), hits.Select(hit => hit.Chunk.Index));
        for (var i = 0; i < hits.Count; i++)
        {
            Assert.Equal(expected[i].cosine, hits[i].Score, 4);
            Assert.Equal(document.Id, hits[i].Chunk.DocumentId);
        }

        Assert.Equal([0, 4], (await Store.SearchVectorAsync(query, Index, 2, Token)).Select(hit => hit.Chunk.Index));
        Assert.Empty(await Store.SearchVectorAsync(query, Index, 0, Token));
        Assert.Empty(await Store.SearchVectorAsync(query, OtherIndex, 5, Token));
    }

    [Fact]
    public async Task Vectors_of_other_dimensions_are_refused_and_nothing_is_written()
    {
        await IngestAsync("four.txt", Index, ("four dimensions", Basis(0)));
        var three = await AddAsync("three.txt");
        Assert.True(await Store.SetStatusAsync(three.Id, DocumentStatuses.Embedded, null, null, Token));

        var refused = await Assert.ThrowsAsync<VectorDimensionException>(() =>
            Store.CompleteAsync(three.Id, [new NewChunk(0, "three dimensions", null, null, Basis(0, 3))], Token));
        Assert.Equal(4, refused.Expected);
        Assert.Equal(3, refused.Actual);
        await Assert.ThrowsAsync<VectorDimensionException>(() =>
            Store.CompleteAsync(three.Id, [new NewChunk(0, "a", null, null, Basis(0)), new NewChunk(1, "b", null, null, Basis(0, 5))], Token));
        await Assert.ThrowsAsync<VectorDimensionException>(() => Store.SearchVectorAsync(Basis(0, 3), Index, 5, Token));

        Assert.Equal(DocumentStatuses.Embedded, (await Store.FindAsync(three.Id, Token))!.Status);
        Assert.Equal(1, await Store.CountChunksAsync(Index, Token));
        Assert.Empty(await Store.SearchTextAsync("three", Index, 5, Token));
        // Another index has its own dimensions.
        await IngestAsync("three.txt", OtherIndex, ("three dimensions", Basis(2, 3)));
        Assert.Single(await Store.SearchVectorAsync(Basis(2, 3), OtherIndex, 5, Token));
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("\"lighthouse")]
    [InlineData("lighthouse\" OR \"")]
    [InlineData("NEAR(lighthouse Karvik, 2)")]
    [InlineData("text:lighthouse")]
    [InlineData("heading : lighthouse")]
    [InlineData("lighth*")]
    [InlineData("*")]
    [InlineData("AND OR NOT")]
    [InlineData("lighthouse AND")]
    [InlineData("-lighthouse")]
    [InlineData("^lighthouse")]
    [InlineData("(lighthouse")]
    [InlineData("{text heading}: lighthouse")]
    [InlineData("'; DROP TABLE chunks; --")]
    [InlineData("!!! ??? ...")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("lighthouse\0island")]
    [InlineData("🏝️ lighthouse ✨")]
    [InlineData("lighthouse <-> island & !red | :*")]
    public async Task Full_text_search_takes_any_text_without_throwing(string query)
    {
        await IngestAsync("facts.txt", Index, [.. Facts.Select((fact, i) => (fact, Basis(i % 4)))]);

        var hits = await Store.SearchTextAsync(query, Index, 5, Token);

        // The words survive, the syntax does not: wherever "lighthouse" is a word of the query, its chunk is found.
        if (query.Contains("lighthouse", StringComparison.Ordinal) && !query.Contains("lighth*", StringComparison.Ordinal))
        {
            Assert.Equal(Facts[0], hits[0].Chunk.Text);
        }

        Assert.All(hits, hit => Assert.Contains(hit.Chunk.Text, Facts));
    }

    [Fact]
    public async Task A_very_long_query_is_searched_by_its_first_words()
    {
        await IngestAsync("facts.txt", Index, [.. Facts.Select((fact, i) => (fact, Basis(i % 4)))]);
        var query = "cardamom " + string.Join(' ', Enumerable.Range(0, 5000).Select(i => $"w{i}"));

        var hits = await Store.SearchTextAsync(query, Index, 5, Token);

        Assert.Equal(Facts[1], Assert.Single(hits).Chunk.Text);
    }

    [Fact]
    public async Task Deleting_removes_the_document_from_both_searches()
    {
        var keep = await IngestAsync("keep.txt", Index, ("Otters sleep holding hands.", Basis(0)));
        var drop = await IngestAsync("drop.txt", Index, ("Otters keep a favourite stone.", Basis(1)));
        var sameName = await IngestAsync("drop.txt", OtherIndex, ("Otters in the other index.", Basis(1)));
        // Searched first, so the vectors are in memory when the delete happens.
        Assert.Equal(2, (await Store.SearchVectorAsync(Basis(1), Index, 5, Token)).Count);

        Assert.True(await Store.DeleteAsync("drop.txt", Index, Token));
        Assert.False(await Store.DeleteAsync("drop.txt", Index, Token));
        Assert.False(await Store.DeleteAsync(Guid.NewGuid().ToString(), Index, Token));

        Assert.Null(await Store.FindAsync(drop.Id, Token));
        Assert.NotNull(await Store.FindAsync(sameName.Id, Token));
        Assert.Equal([keep.Id], (await Store.SearchTextAsync("otters stone", Index, 5, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Equal([keep.Id], (await Store.SearchVectorAsync(Basis(1), Index, 5, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Equal(1, await Store.CountChunksAsync(Index, Token));

        Assert.True(await Store.DeleteAsync(keep.Id.ToString(), null, Token));
        Assert.Empty(await Store.SearchVectorAsync(Basis(0), Index, 5, Token));
        Assert.Equal(0, await Store.CountChunksAsync(Index, Token));
        Assert.Equal(1, await Store.CountChunksAsync(OtherIndex, Token));
    }

    [Fact]
    public async Task Deleting_all_clears_one_index_or_every_index()
    {
        await IngestAsync("a.txt", Index, ("Puffins nest in burrows.", Basis(0)));
        await AddAsync("b.txt");
        await IngestAsync("c.txt", OtherIndex, ("Puffins in another index.", Basis(0)));
        await IngestAsync("d.txt", "third", ("Puffins in a third index.", Basis(0)));
        Assert.Single(await Store.SearchVectorAsync(Basis(0), Index, 5, Token));

        Assert.Equal(2, await Store.DeleteAllAsync(Index, Token));
        Assert.Empty(await Store.ListAsync(Index, Token));
        Assert.Empty(await Store.SearchTextAsync("puffins", Index, 5, Token));
        Assert.Empty(await Store.SearchVectorAsync(Basis(0), Index, 5, Token));
        Assert.Single(await Store.SearchTextAsync("puffins", OtherIndex, 5, Token));

        Assert.Equal(2, await Store.DeleteAllAsync(null, Token));
        Assert.Empty(await Store.ListAsync(null, Token));
        Assert.Empty(await Store.SearchVectorAsync(Basis(0), OtherIndex, 5, Token));
        Assert.Equal(0, await Store.DeleteAllAsync(null, Token));
    }

    [Fact]
    public async Task Moving_all_takes_chunks_and_vectors_along_or_moves_nothing_on_a_clash_or_an_unfinished_document()
    {
        var a = await IngestAsync("a.txt", Index, ("Walruses haul out on ice.", Basis(0)));
        var b = await IngestAsync("b.txt", Index, ("Walruses eat clams.", Basis(1)));
        await IngestAsync("a.txt", "third", ("A clash by name.", Basis(2)));
        // Searched once before the move: the SQLite store then holds the index in memory, which must follow.
        Assert.Equal(2, (await Store.SearchVectorAsync(Basis(0), Index, 5, Token)).Count);

        var clash = await Store.MoveAllAsync(Index, "third", Token);
        Assert.False(clash.Done);
        Assert.Equal(["a.txt"], clash.Clashes);
        Assert.Equal(2, (await Store.ListAsync(Index, Token)).Count);

        var moved = await Store.MoveAllAsync(Index, OtherIndex, Token);
        Assert.True(moved.Done);
        Assert.Equal(2, moved.Moved);
        Assert.Empty(await Store.ListAsync(Index, Token));
        Assert.Empty(await Store.SearchVectorAsync(Basis(0), Index, 5, Token));
        Assert.Empty(await Store.SearchTextAsync("walruses", Index, 5, Token));
        Assert.Equal([a.Id, b.Id], (await Store.ListAsync(OtherIndex, Token)).Select(document => document.Id));
        Assert.Equal([a.Id], (await Store.SearchVectorAsync(Basis(0), OtherIndex, 1, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Equal(2, (await Store.SearchTextAsync("walruses", OtherIndex, 5, Token)).Count);
        Assert.Equal(2, await Store.CountChunksAsync(OtherIndex, Token));

        // A document still being ingested keeps its collection where its worker expects it.
        await AddAsync("queued.txt", OtherIndex);
        var unfinished = await Store.MoveAllAsync(OtherIndex, Index, Token);
        Assert.Equal(1, unfinished.Unfinished);
        Assert.Equal(3, (await Store.ListAsync(OtherIndex, Token)).Count);
        Assert.Empty(await Store.ListAsync(Index, Token));

        Assert.Equal(0, (await Store.MoveAllAsync("nothing-here", Index, Token)).Moved);
    }

    [Fact]
    public async Task Indexes_are_searched_apart()
    {
        var mine = await IngestAsync("shared-name.txt", Index, ("Moose cross the road at dusk.", Basis(0)));
        var theirs = await IngestAsync("shared-name.txt", OtherIndex, ("Moose cross the road at dawn.", Basis(0)));

        Assert.Equal([mine.Id], (await Store.SearchTextAsync("moose road", Index, 5, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Equal([theirs.Id], (await Store.SearchTextAsync("moose road", OtherIndex, 5, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Equal([mine.Id], (await Store.SearchVectorAsync(Basis(0), Index, 5, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Equal([theirs.Id], (await Store.SearchVectorAsync(Basis(0), OtherIndex, 5, Token)).Select(hit => hit.Chunk.DocumentId));
        Assert.Empty(await Store.SearchTextAsync("moose", "unknown", 5, Token));
        Assert.Equal(0, await Store.CountChunksAsync("unknown", Token));
    }

    [Fact]
    public async Task A_restart_fails_interrupted_documents_and_keeps_searchable_ones()
    {
        var done = await IngestAsync("done.txt", Index, ("Lingonberries ripen in August.", Basis(0)), ("Cloudberries grow in bogs.", Basis(1)));
        var queued = await AddAsync("queued.txt");
        var chunked = await AddAsync("chunked.txt");
        Assert.True(await Store.SetStatusAsync(chunked.Id, DocumentStatuses.Chunked, null, new DocumentFacts("md", null, 99), Token));
        var failed = await AddAsync("failed.txt");
        Assert.True(await Store.SetStatusAsync(failed.Id, DocumentStatuses.Failed, "own reason", null, Token));

        var restarted = await RestartAsync();

        foreach (var interrupted in new[] { queued, chunked })
        {
            var document = (await restarted.FindAsync(interrupted.Id, Token))!;
            Assert.Equal(DocumentStatuses.Failed, document.Status);
            Assert.Equal("The gateway restarted while ingesting this document; upload it again.", document.Error);
        }

        Assert.Equal("own reason", (await restarted.FindAsync(failed.Id, Token))!.Error);
        Assert.Equal(DocumentStatuses.Searchable, (await restarted.FindAsync(done.Id, Token))!.Status);
        // The new instance loads the vectors from the database at its first search.
        Assert.Equal([1, 0], (await restarted.SearchVectorAsync(Unit(0.2f, 1, 0, 0), Index, 5, Token)).Select(hit => hit.Chunk.Index));
        Assert.Single(await restarted.SearchTextAsync("cloudberries", Index, 5, Token));
        Assert.Equal(2, await restarted.CountChunksAsync(Index, Token));
        // "Upload it again" works: the failed document gives its name up.
        var again = await restarted.AddAsync(new NewDocument("queued.txt", DocumentTypes.File, Index, 1, "txt"), Token);
        Assert.Equal(DocumentStatuses.Queued, again.Status);
    }

    [Fact]
    public async Task A_document_added_after_a_search_is_found_by_the_next_one()
    {
        await IngestAsync("first.txt", Index, ("first", Basis(0)));
        Assert.Single(await Store.SearchVectorAsync(Basis(1), Index, 5, Token));

        var second = await IngestAsync("second.txt", Index, ("second", Basis(1)));

        var hits = await Store.SearchVectorAsync(Basis(1), Index, 5, Token);
        Assert.Equal(second.Id, hits[0].Chunk.DocumentId);
        Assert.Equal(1.0, hits[0].Score, 4);
        Assert.Equal(2, hits.Count);
    }
}
