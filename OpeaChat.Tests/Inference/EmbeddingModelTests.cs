using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>Which model serves /v1/embeddings: a dedicated one (Inference:EmbeddingModel), or the chat model with a warning.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class EmbeddingModelTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("opeachat-embed-");

    [Fact]
    public async Task A_dedicated_embedding_model_serves_requests_that_name_none_and_the_models_list_says_so()
    {
        // A second file so that the embedding model is not the chat model; a path outside the models folder.
        var path = Path.Combine(_folder.FullName, "mini-embed.gguf");
        File.Copy(TestModel.Path, path);
        using var host = InferenceHost.Start(("EmbeddingModel", path));
        await host.WaitUntilReadyAsync();

        using var response = await host.Client.PostAsync("/v1/embeddings", JsonBody(new { input = new[] { "The cat sat.", "A dog ran." } }));
        using var embedded = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("mini-embed", embedded.RootElement.GetProperty("model").GetString());
        Assert.Equal(2, embedded.RootElement.GetProperty("data").GetArrayLength());

        var list = await ModelsAsync(host.Client);
        Assert.Equal("mini-embed", list.GetProperty("embedding_model").GetString());
        Assert.False(list.TryGetProperty("warnings", out _));
        var models = list.GetProperty("data").EnumerateArray().ToDictionary(model => model.GetProperty("id").GetString()!);
        Assert.Equal(["embeddings"], Serves(models["mini-embed"]));
        Assert.True(models["mini-embed"].GetProperty("loaded").GetBoolean());
        Assert.Equal(["chat"], Serves(models["stories260K"]));
        Assert.False(models["stories260K"].TryGetProperty("warning", out _));

        // The chat model still answers embeddings when a request names it.
        var chat = await EmbeddingBatchingTests.EmbedAsync(host.Client, ["The cat sat."], "stories260K");
        Assert.Single(chat);
    }

    [Fact]
    public async Task A_bert_embedding_model_loads_and_embeds_batched_as_one_at_a_time()
    {
        var path = TinyBert.Write(Path.Combine(_folder.FullName, "tiny-bert.gguf"), rank: false);
        using var host = InferenceHost.Start(("EmbeddingModel", path), ("EmbeddingMaxSequences", "4"));
        await host.WaitUntilReadyAsync();
        string[] texts = ["Once upon a time there was a cat.", "The dog ran.", "Lily went to the park with her mom and dad.", "It was fun.", "The sun."];

        var together = await EmbeddingBatchingTests.EmbedAsync(host.Client, texts);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(64, together[i].Length);
            var alone = (await EmbeddingBatchingTests.EmbedAsync(host.Client, [texts[i]]))[0];
            Assert.All(together[i].Zip(alone), pair => Assert.Equal(pair.First, pair.Second, 1e-4f));
        }

        Assert.NotEqual(together[0], together[1]);
        var models = (await ModelsAsync(host.Client)).GetProperty("data").EnumerateArray().ToDictionary(model => model.GetProperty("id").GetString()!);
        Assert.Equal("bert", models["tiny-bert"].GetProperty("architecture").GetString());
        Assert.Equal(["embeddings"], Serves(models["tiny-bert"]));
    }

    [Fact]
    public async Task Without_an_embedding_model_the_chat_model_embeds_and_the_models_list_warns()
    {
        using var host = InferenceHost.Start();
        await host.WaitUntilReadyAsync();

        var list = await ModelsAsync(host.Client);
        Assert.Equal("stories260K", list.GetProperty("embedding_model").GetString());
        Assert.False(list.TryGetProperty("rerank_model", out _));
        Assert.Contains("Inference:EmbeddingModel", list.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
        var chat = list.GetProperty("data").EnumerateArray().Single(model => model.GetProperty("id").GetString() == "stories260K");
        Assert.Equal(["chat", "embeddings"], Serves(chat));
        Assert.Contains("Inference:EmbeddingModel", chat.GetProperty("warning").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_embedding_model_setting_that_names_nothing_gets_503_with_the_setting_named()
    {
        using var host = InferenceHost.Start(("EmbeddingModel", "no-such-embedder"));
        await host.WaitUntilReadyAsync();

        using var response = await host.Client.PostAsync("/v1/embeddings", JsonBody(new { input = "The cat sat." }));
        Assert.Equal(503, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Contains("Inference:EmbeddingModel", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("no-such-embedder", (await ModelsAsync(host.Client)).GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
    }

    private static StringContent JsonBody(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ModelsAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync(new Uri("/v1/models", UriKind.Relative))).RootElement.Clone();

    private static string[] Serves(JsonElement model) => model.GetProperty("serves").EnumerateArray().Select(role => role.GetString()!).ToArray();

    public void Dispose() => _folder.Delete(recursive: true);
}
