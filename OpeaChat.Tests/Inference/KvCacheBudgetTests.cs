using System.Text.Json;
using OpeaChat.Benchmarks.Synth;
using OpeaChat.Inference.Models;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>The KV cache's size from a real model's header, and the refusal to load one that cannot fit in memory.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class KvCacheBudgetTests
{
    [Fact]
    public void The_cache_size_follows_the_models_layers_and_key_value_heads()
    {
        var header = GgufFile.Read(TestModel.Path);
        var layers = header.GetArchitectureInteger("block_count")!.Value;
        var heads = header.GetArchitectureInteger("attention.head_count")!.Value;
        var kvHeads = header.GetArchitectureInteger("attention.head_count_kv") ?? heads;
        var headSize = header.GetArchitectureInteger("embedding_length")!.Value / heads;

        var bytes = KvCacheBudget.EstimateBytes(header, 4096);

        // K and V, 16 bits each, for every layer, key-value head and token.
        Assert.Equal(layers * 4096 * kvHeads * headSize * 2 * 2, bytes);
        Assert.Equal(2 * bytes, KvCacheBudget.EstimateBytes(header, 8192));
    }

    [Fact]
    public async Task Inference_refuses_a_model_whose_cache_cannot_fit_and_says_why_in_its_health()
    {
        // A header only (no weights needed: the check comes before llama.cpp reads the file) of a Llama far larger
        // than this machine: 400 layers of 64 KV heads make a 1M-token cache of about 25 TiB.
        var path = Path.Combine(Directory.CreateTempSubdirectory("opeachat-kv-").FullName, "huge-llama.gguf");
        var header = new GgufWriter();
        header.Add("general.architecture", GgufValue.String("llama"));
        header.Add("llama.block_count", GgufValue.UInt32(400));
        header.Add("llama.embedding_length", GgufValue.UInt32(8192));
        header.Add("llama.attention.head_count", GgufValue.UInt32(64));
        header.Add("llama.attention.head_count_kv", GgufValue.UInt32(64));
        header.Add("llama.context_length", GgufValue.UInt32(1_048_576));
        header.Write(path, progress: null, CancellationToken.None);

        using var inference = InferenceHost.Start(("ModelPath", path), ("ContextSize", "1048576"), ("GpuLayerCount", "0"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? status;
        JsonElement health;
        do
        {
            await Task.Delay(100, timeout.Token);
            using var response = await inference.Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
            health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement.Clone();
            status = health.TryGetProperty("status", out var value) ? value.GetString() : null;
        }
        while (status is null or "loading");

        var text = health.GetRawText();
        Assert.Contains("KV cache for a context of 1048576 tokens", text, StringComparison.Ordinal);
        Assert.Contains("Inference:ContextSize", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cache_that_fits_is_allowed()
    {
        Assert.Null(KvCacheBudget.Check(cacheBytes: 1L << 30, contextTokens: 8192, availableBytes: 8L << 30));
        Assert.Null(KvCacheBudget.Check(cacheBytes: null, contextTokens: 8192, availableBytes: 1));
    }

    [Fact]
    public void A_cache_larger_than_memory_is_refused_with_a_context_that_would_fit()
    {
        // Llama-3.2-3B at 1M tokens: 28 layers, 8 KV heads of 128: 112 KiB a token, 112 GiB in all.
        const long bytesPerToken = 28L * 8 * (128 + 128) * 2;
        var message = KvCacheBudget.Check(bytesPerToken * 1_048_576, 1_048_576, availableBytes: 4L << 30);

        Assert.NotNull(message);
        Assert.Contains("1048576 tokens needs about 112 GiB, more than the 4 GiB", message, StringComparison.Ordinal);
        Assert.Contains("Inference:ContextSize (for example to 16384)", message, StringComparison.Ordinal);
        Assert.True(16384 * bytesPerToken <= 2L << 30);
    }
}
