using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LLama;
using LLama.Common;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>Many inputs embedded in one decode give the vectors that one input at a time gives, on the real test model.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class EmbeddingBatchingTests
{
    private static readonly string[] s_texts =
    [
        "Once upon a time there was a little cat.",
        "The dog ran.",
        "Lily and Tom went to the park to play on the swings and slides all day long.",
        "A bird sang.",
        "The sun was warm and the sky was blue.",
        "He found a big red ball under the old tree near the river.",
        "Mom said yes.",
        "They were happy.",
        "The little fox was scared of the dark forest, so he ran home to his mother.",
        "It was fun.",
    ];

    [Fact]
    public async Task Vectors_from_one_batched_decode_equal_those_embedded_one_at_a_time()
    {
        using var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(TestModel.Path), CancellationToken.None);
        using var embedder = new BatchedEmbedder("stories260K", TestModel.Path, weights, 255, new EmbedderSettings(512, 8, 1, 1));
        var tokens = s_texts.Select(embedder.Tokenize).ToArray();

        var batched = await embedder.EmbedAsync(tokens, CancellationToken.None);
        var single = await embedder.EmbedAsync(tokens, CancellationToken.None, maxSequencesPerDecode: 1);

        Assert.Equal(LLama.Native.LLamaPoolingType.Mean, embedder.Pooling); // the test model names no pooling
        Assert.Equal(s_texts.Length, batched.Length);
        for (var i = 0; i < s_texts.Length; i++)
        {
            Assert.Equal(64, batched[i].Length);
            Assert.InRange(Norm(batched[i]), 0.999, 1.001);
            Assert.All(batched[i].Zip(single[i]), pair => Assert.Equal(pair.First, pair.Second, 1e-4f));
        }

        // Different texts stay apart: a mix-up of sequences would make neighbours equal.
        Assert.True(Dot(batched[0], batched[1]) < 0.9999);
    }

    [Fact]
    public async Task A_many_input_request_answers_what_single_input_requests_answer()
    {
        using var host = InferenceHost.Start(("EmbeddingMaxSequences", "4"), ("EmbeddingBatchSize", "256"));
        await host.WaitUntilReadyAsync();

        var together = await EmbedAsync(host.Client, s_texts);
        for (var i = 0; i < s_texts.Length; i++)
        {
            var alone = (await EmbedAsync(host.Client, [s_texts[i]]))[0];
            Assert.All(together[i].Zip(alone), pair => Assert.Equal(pair.First, pair.Second, 1e-4f));
        }
    }

    [Fact]
    public async Task An_input_longer_than_the_context_fails_the_request_and_nothing_is_cut()
    {
        // 256 tokens shared by 4 sequences: an input may have at most 63 tokens.
        using var host = InferenceHost.Start(("ContextSize", "256"), ("MaxParallelSequences", "4"), ("PrefixCacheSlots", "0"));
        await host.WaitUntilReadyAsync();

        var longText = string.Join(' ', Enumerable.Repeat("the little cat sat on the mat", 20));
        using var response = await host.Client.PostAsJsonAsync("/v1/embeddings", new { input = new[] { "The cat sat.", longText } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("input[1]", error.GetProperty("param").GetString());
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("at most 63", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_truncate_a_long_input_is_embedded_from_its_first_tokens()
    {
        using var host = InferenceHost.Start(("ContextSize", "256"), ("MaxParallelSequences", "4"), ("PrefixCacheSlots", "0"));
        await host.WaitUntilReadyAsync();

        var longText = string.Join(' ', Enumerable.Repeat("the little cat sat on the mat", 20));
        using var response = await host.Client.PostAsJsonAsync("/v1/embeddings", new { input = new[] { longText, longText + " and then the dog ran far away" }, truncate = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2 * 63, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var vectors = json.RootElement.GetProperty("data").EnumerateArray()
            .Select(item => item.GetProperty("embedding").EnumerateArray().Select(value => value.GetSingle()).ToArray()).ToArray();
        // Both inputs share their first 63 tokens, so only the cut-off tails differ: the vectors are the same.
        Assert.All(vectors[0].Zip(vectors[1]), pair => Assert.Equal(pair.First, pair.Second, 1e-4f));
        var whole = (await EmbedAsync(host.Client, ["the little cat sat on the mat"]))[0];
        Assert.True(Dot(vectors[0], whole) < 0.9999, "the cut input is still the long text's beginning, not another text");
    }

    internal static async Task<float[][]> EmbedAsync(HttpClient client, IReadOnlyList<string> inputs, string? model = null)
    {
        using var response = await client.PostAsJsonAsync("/v1/embeddings", new { input = inputs, model });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("data").EnumerateArray()
            .OrderBy(item => item.GetProperty("index").GetInt32())
            .Select(item => item.GetProperty("embedding").EnumerateArray().Select(value => value.GetSingle()).ToArray())
            .ToArray();
    }

    private static double Norm(float[] vector) => Math.Sqrt(vector.Sum(value => (double)value * value));

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
