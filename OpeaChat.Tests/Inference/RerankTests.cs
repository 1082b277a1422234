using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// One inference server whose reranker is a real BERT reranker GGUF with a classification head (<see cref="TinyBert"/>:
/// random weights, the test model's tokenizer), shared by the tests of <see cref="RerankTests"/>. Its scores mean
/// nothing as relevance, but they come from llama.cpp's rank pooling and head through LLamaReranker, as
/// bge-reranker-v2-m3's would, and are deterministic per document.
/// </summary>
public sealed class RerankServerFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("opeachat-rerank-");

    public InferenceHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var path = TinyBert.Write(Path.Combine(_folder.FullName, "tiny-bert-reranker.gguf"), rank: true);
        Host = InferenceHost.Start(("RerankModel", path), ("EmbeddingMaxSequences", "2"));
        await Host.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(InProcessHostCollection.Name)]
public sealed class RerankTests(RerankServerFixture server) : IClassFixture<RerankServerFixture>
{
    private static readonly string[] s_documents =
    [
        "Once upon a time there was a cat.",
        "The spoon.",
        "Lily went to the park with her mom.",
        "The dog barked at the big red ball.",
        "It was a sunny day.",
    ];

    private HttpClient Client => server.Host.Client;

    [Fact]
    public async Task Documents_come_back_best_first_with_the_scores_each_gets_alone()
    {
        // Five documents with two sequences a decode: three batches, so a batching mistake would move scores.
        var results = await RerankAsync(new { query = "Once upon a time", documents = s_documents });

        Assert.Equal(Enumerable.Range(0, s_documents.Length), results.Select(result => result.Index).Order());
        Assert.Equal(results.Select(result => result.Score).OrderDescending(), results.Select(result => result.Score));
        Assert.True(results[0].Score > results[^1].Score);
        foreach (var (index, score) in results)
        {
            var alone = await RerankAsync(new { query = "Once upon a time", documents = new[] { s_documents[index] } });
            Assert.Equal(score, alone[0].Score, 1e-4);
        }
    }

    [Fact]
    public async Task Top_n_keeps_the_best()
    {
        var all = await RerankAsync(new { query = "Once upon a time", documents = s_documents });
        var top = await RerankAsync(new { model = "anything", query = "Once upon a time", documents = s_documents, top_n = 2 });

        Assert.Equal(all.Take(2).Select(result => result.Index), top.Select(result => result.Index));
    }

    [Fact]
    public async Task The_response_has_llama_servers_shape()
    {
        using var response = await Client.PostAsJsonAsync("/v1/rerank", new { query = "Once", documents = new[] { "a cat", "a dog" } });
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("tiny-bert-reranker", json.GetProperty("model").GetString());
        var first = json.GetProperty("results")[0];
        Assert.Equal(JsonValueKind.Number, first.GetProperty("index").ValueKind);
        Assert.Equal(JsonValueKind.Number, first.GetProperty("relevance_score").ValueKind);
        Assert.True(json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 4);
    }

    [Theory]
    [InlineData("""{"documents":["a"]}""", "query")]
    [InlineData("""{"query":"q","documents":[]}""", "documents")]
    [InlineData("""{"query":"q"}""", "documents")]
    [InlineData("""{"query":"q","documents":["a"],"top_n":0}""", "top_n")]
    [InlineData("""{"query":"q","documents":"a"}""", "documents")]
    public async Task Invalid_requests_get_400_naming_the_field(string body, string param)
    {
        using var response = await Client.PostAsync("/v1/rerank", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Too_many_documents_get_400_and_the_server_keeps_serving()
    {
        var documents = Enumerable.Range(0, 257).Select(i => "d").ToArray();
        using var response = await Client.PostAsJsonAsync("/v1/rerank", new { query = "q", documents });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(2, (await RerankAsync(new { query = "q", documents = new[] { "a", "b" } })).Length);
    }

    [Fact]
    public async Task Tokenize_gives_the_chat_models_token_ids_with_or_without_bos()
    {
        var with = await TokenizeAsync(new { content = "Once upon a time" });
        var without = await TokenizeAsync(new { content = "Once upon a time", add_special = false });

        Assert.Equal(1, with[0]); // the test model's BOS
        Assert.Equal(with[1..], without);
        Assert.True(without.Length >= 3);
    }

    [Fact]
    public async Task Tokenize_without_content_gets_400()
    {
        using var response = await Client.PostAsJsonAsync("/tokenize", new { add_special = true });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("content", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    private async Task<(int Index, double Score)[]> RerankAsync(object body)
    {
        using var response = await Client.PostAsJsonAsync("/v1/rerank", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return json.GetProperty("results").EnumerateArray()
            .Select(result => (result.GetProperty("index").GetInt32(), result.GetProperty("relevance_score").GetDouble()))
            .ToArray();
    }

    private async Task<int[]> TokenizeAsync(object body)
    {
        using var response = await Client.PostAsJsonAsync("/tokenize", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("tokens").EnumerateArray().Select(token => token.GetInt32()).ToArray();
    }
}

/// <summary>Without Inference:RerankModel, /v1/rerank is "not found" in OpenAI's shape: the gateway then skips reranking.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class NoRerankerTests(InferenceServerFixture server) : IClassFixture<InferenceServerFixture>
{
    [Fact]
    public async Task Rerank_without_a_reranker_is_404_model_not_found_naming_the_setting()
    {
        using var response = await server.Host.Client.PostAsJsonAsync("/v1/rerank", new { query = "q", documents = new[] { "a" } });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("Inference:RerankModel", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
