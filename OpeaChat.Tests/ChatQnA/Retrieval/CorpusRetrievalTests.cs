using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Tests.ChatQnA.Dataprep;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpeaChat.Tests.ChatQnA.Retrieval;

/// <summary>
/// The test corpus (txt, md, html, pdf, docx) ingested once through OPEA's dataprep door: parsed, chunked small so each
/// document has several chunks, embedded by the real inference service on the test model, stored in SQLite.
/// </summary>
public sealed class CorpusFixture : IAsyncLifetime
{
    public const string IndexName = "corpus";

    /// <summary>Small chunks, no overlap: every document splits, and only one chunk holds each fact.</summary>
    public const int ChunkSize = 80;

    public InferenceHost Inference { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public int Chunks { get; private set; }

    public async Task InitializeAsync()
    {
        Inference = InferenceHost.Start();
        await Inference.WaitUntilReadyAsync();
        // Without a reranker the hybrid retriever's order is the fusion's: that is what is tested here.
        Gateway = GatewayHost.Start(Inference.BaseAddress, ("Retrieval:Rerank", "false"));
        using var ingested = await DataprepCalls.IngestAsync(Gateway,
            ("files", "ferry.txt", TestCorpus.Text()), ("files", "garden.md", TestCorpus.Markdown()), ("files", "sky.html", TestCorpus.Html()),
            ("files", "report.pdf", TestCorpus.Pdf()), ("files", "choir.docx", TestCorpus.Docx()),
            ("index_name", null, Encoding.UTF8.GetBytes(IndexName)),
            ("chunk_size", null, Encoding.UTF8.GetBytes(ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            ("chunk_overlap", null, Encoding.UTF8.GetBytes("0")));
        Assert.True(ingested.IsSuccessStatusCode, await ingested.Content.ReadAsStringAsync());
        var files = await DataprepCalls.WaitUntilSearchableAsync(Gateway, 5);
        Chunks = files.Sum(file => file.GetProperty("chunks").GetInt32());
    }

    public Task DisposeAsync()
    {
        Gateway.Dispose();
        Inference.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// One question per document of the corpus, each answered by a fact only that document holds: the chunk with the fact
/// is BM25's best hit, and it is among the k sources of the hybrid retriever (BM25 and vector search fused by RRF).
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class CorpusRetrievalTests(CorpusFixture corpus, ITestOutputHelper output) : IClassFixture<CorpusFixture>
{
    /// <summary>OPEA's default k.</summary>
    private const int K = 4;

    public static TheoryData<string, string, string, string?, int?> Questions => new()
    {
        { "txt", "When does the ferry to Oskarholm leave?", TestCorpus.TextFact, null, null },
        { "md", "When are the tulip bulbs of the Brannock allotments planted?", TestCorpus.MarkdownFact, "Planting", null },
        { "html", "When does the Quorra observatory open its dome?", TestCorpus.HtmlFact, "Observatory", null },
        { "pdf", "Which letters begin the invoice numbers of Pellworth Ltd?", TestCorpus.PdfFact, null, 2 },
        { "docx", "Where does the Halvard choir rehearse?", TestCorpus.DocxFact, "Rehearsals", null },
    };

    private static readonly Dictionary<string, string> s_documents = new()
    {
        ["txt"] = "ferry.txt", ["md"] = "garden.md", ["html"] = "sky.html", ["pdf"] = "report.pdf", ["docx"] = "choir.docx",
    };

    [Fact]
    public void The_corpus_is_split_into_more_chunks_than_documents_and_k()
    {
        // Otherwise "the right chunk" would be "the right document", and a top-k check would hold for any ranking.
        Assert.True(corpus.Chunks > 2 * K, $"{corpus.Chunks} chunks");
    }

    [Theory]
    [MemberData(nameof(Questions))]
    public async Task Bm25_alone_ranks_the_chunk_with_the_fact_first(string format, string question, string fact, string? heading, int? page)
    {
        await using var scope = corpus.Gateway.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();

        var hits = await store.SearchTextAsync(question, CorpusFixture.IndexName, corpus.Chunks, CancellationToken.None);

        Assert.True(hits.Count > 1, $"{hits.Count} hits: the question's words should be found in other chunks too");
        var top = hits[0].Chunk;
        Assert.Contains(fact, top.Text, StringComparison.Ordinal);
        Assert.Equal((s_documents[format], heading, page), (top.DocumentName, top.Heading, top.Page));
        Assert.True(hits[0].Score > hits[1].Score, $"{format}: a tie at the top ({hits[0].Score})");
    }

    /// <summary>
    /// The hybrid retriever, as a question asks it. The test model's embeddings are poor, so the vector list alone is
    /// not expected to put the fact first (nor is the fused list); what must hold is that fusing it with BM25 keeps
    /// BM25's best chunk among the k kept: RRF gives that chunk the largest BM25 share, 1/(60+1), so only chunks that
    /// also match the question's words and rank above it in the vector list can pass it, and k leaves room for a few.
    /// The vector search must be seen to run, so this is the fused ranking and not BM25's fallback.
    /// </summary>
    [Theory]
    [MemberData(nameof(Questions))]
    public async Task Hybrid_ranking_keeps_the_chunk_with_the_fact_among_its_k_sources(string format, string question, string fact, string? heading, int? page)
    {
        var vectorSearches = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RetrievalTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (vectorSearches)
                {
                    vectorSearches.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var scope = corpus.Gateway.Services.CreateAsyncScope();
        var retriever = scope.ServiceProvider.GetRequiredService<DocumentRetriever>();
        using var asked = new Activity("question").Start();

        var sources = await retriever.RetrieveAsync(question, new RetrievalQuery { IndexName = CorpusFixture.IndexName, K = K }, CancellationToken.None);

        output.WriteLine(string.Join("\n", sources.Select((source, rank) => $"{rank + 1}. {source.Document} #{source.Chunk} {source.Score:0.0000}: {source.Text}")));
        Assert.Equal(K, sources.Count);
        var found = Assert.Single(sources, source => source.Text.Contains(fact, StringComparison.Ordinal));
        Assert.Equal((s_documents[format], heading, page), (found.Document, found.Heading, found.Page));
        lock (vectorSearches)
        {
            var vector = Assert.Single(vectorSearches, span => span.TraceId == asked.TraceId && span.OperationName == "retrieve.vector");
            Assert.Equal(ActivityStatusCode.Unset, vector.Status);
        }

        // Every chunk has a vector of the query's dimensions: the vector list ranks the whole corpus.
        var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();
        var embeddings = scope.ServiceProvider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var queryVector = (await embeddings.GenerateAsync([question])).Single().Vector;
        Assert.Equal(corpus.Chunks, (await store.SearchVectorAsync(Vectors.Normalized(queryVector.ToArray()), CorpusFixture.IndexName, corpus.Chunks, CancellationToken.None)).Count);
    }
}
