using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using OpeaChat.Benchmarks.Synth;
using OpeaChat.Inference.Models;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>The synthetic model writer: the file llama.cpp reads must have the shape asked for and really generate.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class SynthTests : IDisposable
{
    private static readonly LlamaShape s_small = new(Dim: 128, Layers: 2, Ffn: 256, Heads: 4, KvHeads: 2, ContextLength: 512);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("opeachat-synth-");

    [Fact]
    public void A_small_synthetic_model_has_the_asked_shape_in_its_metadata()
    {
        var path = Path.Combine(_folder.FullName, "small.gguf");
        var result = SyntheticLlama.Write(TestModel.Path, s_small, path, seed: 7, standardDeviation: 0.02f, progress: null, CancellationToken.None);

        var gguf = GgufFile.Read(path);
        var source = GgufFile.Read(TestModel.Path);
        Assert.Equal(3u, gguf.Version);
        Assert.Equal("llama", gguf.Architecture);
        Assert.Equal(128, gguf.GetInteger("llama.embedding_length"));
        Assert.Equal(2, gguf.GetInteger("llama.block_count"));
        Assert.Equal(256, gguf.GetInteger("llama.feed_forward_length"));
        Assert.Equal(4, gguf.GetInteger("llama.attention.head_count"));
        Assert.Equal(2, gguf.GetInteger("llama.attention.head_count_kv"));
        Assert.Equal(32, gguf.GetInteger("llama.rope.dimension_count"));
        Assert.Equal(512, gguf.GetInteger("llama.context_length"));
        Assert.Equal(512, gguf.GetInteger("llama.vocab_size"));
        Assert.Equal(7, gguf.GetInteger("general.file_type"));
        Assert.Equal("Q8_0", GgufFileTypes.Name(gguf));
        Assert.Equal(1e-5f, (float)gguf.Metadata["llama.attention.layer_norm_rms_epsilon"]);

        // Every tokenizer key of the source, with the same values (arrays: same item type and length).
        var tokenizerKeys = source.Metadata.Keys.Where(key => key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(tokenizerKeys);
        Assert.Equal(tokenizerKeys.Order(), gguf.Metadata.Keys.Where(key => key.StartsWith("tokenizer.", StringComparison.Ordinal)).Order());
        foreach (var key in tokenizerKeys)
        {
            Assert.Equal(source.Metadata[key], gguf.Metadata[key]);
        }

        // Shapes in ggml order [ne0 = inputs, ne1 = outputs]; Q8_0 (8) matrices, F32 (0) norms; the vocabulary sizes the embeddings.
        var tensors = gguf.Tensors.ToDictionary(tensor => tensor.Name);
        Assert.Equal(3 + (9 * 2), tensors.Count);
        AssertTensor(tensors["token_embd.weight"], 8, 128, 512);
        AssertTensor(tensors["output.weight"], 8, 128, 512);
        AssertTensor(tensors["output_norm.weight"], 0, 128);
        for (var layer = 0; layer < 2; layer++)
        {
            AssertTensor(tensors[$"blk.{layer}.attn_norm.weight"], 0, 128);
            AssertTensor(tensors[$"blk.{layer}.attn_q.weight"], 8, 128, 128);
            AssertTensor(tensors[$"blk.{layer}.attn_k.weight"], 8, 128, 64);
            AssertTensor(tensors[$"blk.{layer}.attn_v.weight"], 8, 128, 64);
            AssertTensor(tensors[$"blk.{layer}.attn_output.weight"], 8, 128, 128);
            AssertTensor(tensors[$"blk.{layer}.ffn_norm.weight"], 0, 128);
            AssertTensor(tensors[$"blk.{layer}.ffn_gate.weight"], 8, 128, 256);
            AssertTensor(tensors[$"blk.{layer}.ffn_up.weight"], 8, 128, 256);
            AssertTensor(tensors[$"blk.{layer}.ffn_down.weight"], 8, 256, 128);
        }

        var expectedParameters = (2L * 512 * 128) + 128 + (2 * ((2 * 128) + (2 * 128 * 128) + (2 * 128 * 64) + (3 * 128 * 256)));
        Assert.Equal(expectedParameters, gguf.ParameterCount);
        Assert.Equal(expectedParameters, result.Parameters);
        Assert.Equal(512, result.VocabularySize);
        Assert.Equal(new FileInfo(path).Length, result.Bytes);
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public async Task LLamaSharp_loads_a_small_synthetic_model_and_generates_tokens_with_finite_logits()
    {
        var path = Path.Combine(_folder.FullName, "generate.gguf");
        SyntheticLlama.Write(TestModel.Path, s_small, path, seed: 11, standardDeviation: 0.02f, progress: null, CancellationToken.None);

        var parameters = new ModelParams(path) { ContextSize = 256, Threads = 1, BatchThreads = 1, GpuLayerCount = 0 };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        Assert.Equal(128, weights.EmbeddingSize);
        Assert.Equal(2, weights.NativeHandle.LayerCount);
        Assert.Equal(512, weights.Vocab.Count);
        Assert.Equal(512, weights.ContextSize);

        using var executor = new BatchedExecutor(weights, parameters);
        using var conversation = executor.Create();
        conversation.Prompt(weights.Tokenize("Once upon a time", add_bos: true, special: false, System.Text.Encoding.UTF8).AsSpan());
        var generated = new List<LLamaToken>();
        for (var step = 0; step < 6; step++)
        {
            Assert.Equal(DecodeResult.Ok, await executor.Infer());
            var logits = conversation.Sample().ToArray();
            Assert.Equal(512, logits.Length);
            Assert.All(logits, value => Assert.True(float.IsFinite(value), $"logit {value} at step {step}"));
            var token = (LLamaToken)Array.IndexOf(logits, logits.Max()); // greedy
            generated.Add(token);
            conversation.Prompt(token);
        }

        Assert.Equal(6, generated.Count);
        Assert.All(generated, token => Assert.InRange((int)token, 0, 511));
    }

    [Fact]
    public void The_writer_copies_metadata_back_exactly_as_it_was_read()
    {
        var source = GgufFile.Read(TestModel.Path, readArrayItems: true);
        var writer = new GgufWriter();
        foreach (var (key, value) in source.Entries)
        {
            writer.Add(key, value);
        }

        writer.AddTensor("only.weight", [64], GgmlType.F32, RandomWeights.Constant(64, 0.5f));
        var path = Path.Combine(_folder.FullName, "copy.gguf");
        writer.Write(path, progress: null, CancellationToken.None);

        var copy = GgufFile.Read(path, readArrayItems: true);
        Assert.Equal(source.Entries.Select(entry => entry.Key), copy.Entries.Select(entry => entry.Key));
        var copied = copy.Entries.ToDictionary(entry => entry.Key, entry => entry.Value);
        foreach (var (key, value) in source.Entries)
        {
            Assert.Equal(value.Type, copied[key].Type);
            if (value.Value is GgufArray array)
            {
                var copiedArray = Assert.IsType<GgufArray>(copied[key].Value);
                Assert.Equal(array.ItemType, copiedArray.ItemType);
                Assert.NotNull(array.Items);
                Assert.Equal(array.Items, copiedArray.Items!);
            }
            else
            {
                Assert.Equal(value.Value, copied[key].Value);
            }
        }

        // Data starts at a 32-byte boundary after the header.
        var length = new FileInfo(path).Length;
        Assert.Equal(0, (length - (64 * sizeof(float))) % GgufWriter.Alignment);
    }

    [Fact]
    public void A_q8_0_block_decodes_back_to_its_values_within_half_a_step()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 32).Select(_ => (float)((random.NextDouble() - 0.5) * 0.1)).ToArray();
        var block = new byte[GgufWriter.Q8BlockBytes];
        RandomWeights.EncodeBlock(values, block);

        var scale = (float)BitConverter.ToHalf(block, 0);
        Assert.Equal(values.Max(Math.Abs) / 127f, scale, 0.0001f);
        for (var i = 0; i < 32; i++)
        {
            var decoded = scale * (sbyte)block[2 + i];
            Assert.True(Math.Abs(decoded - values[i]) <= (scale * 0.5f) + 1e-4f, $"value {i}: {values[i]} decoded as {decoded}");
        }

        Assert.Equal(127, values.Select((value, i) => Math.Abs((int)(sbyte)block[2 + i])).Max());
    }

    [Theory]
    [InlineData(100, 4, 256, 4, 2, "multiples of 32")]
    [InlineData(128, 3, 256, 5, 5, "multiple of heads")]
    [InlineData(128, 2, 256, 4, 3, "multiple of kv-heads")]
    [InlineData(96, 2, 256, 32, 32, "even")]
    public void Impossible_shapes_are_refused_with_the_reason(int dim, int layers, int ffn, int heads, int kvHeads, string reason)
    {
        var problems = new LlamaShape(dim, layers, ffn, heads, kvHeads).Problems();
        Assert.Contains(problems, problem => problem.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_synthetic_bert_tokenizes_benchmark_text_as_wordpiece_does_and_embeds_it()
    {
        var path = Path.Combine(_folder.FullName, "bert.gguf");
        SyntheticBert.Write(new BertShape(Dim: 64, Layers: 2, Ffn: 128, Heads: 4), WordPieceVocabulary.Create(OpeaChat.Benchmarks.Ingest.SyntheticPdf.Words),
            rank: false, GgmlType.Q8_0, path, seed: 3, standardDeviation: 0.02f, progress: null, CancellationToken.None);

        using var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(path), CancellationToken.None);
        var tokens = weights.Tokenize("Page 12 line 3: Harbour lighthouse, 1234.", add_bos: true, special: true, System.Text.Encoding.UTF8);
        var pieces = tokens.Select(token => weights.NativeHandle.Vocab.LLamaTokenToString(token, isSpecialToken: true)).ToArray();

        // [CLS] page 12 line 3 : harbour lighthouse , 123 4 . [SEP]: a word, a number below 1000 or a mark is one token.
        Assert.Equal(13, tokens.Length);
        Assert.Equal("[CLS]", pieces[0]?.Trim());
        Assert.Equal("[SEP]", pieces[^1]?.Trim());
        Assert.Equal("harbour", pieces[6]?.Trim());
        Assert.Equal("bert", GgufFile.Read(path).Architecture);

        using var embedder = new OpeaChat.Inference.Embeddings.BatchedEmbedder("bert", path, weights, 512, new OpeaChat.Inference.Embeddings.EmbedderSettings(512, 4, 1, 1));
        var vector = (await embedder.EmbedAsync([tokens], CancellationToken.None))[0];
        Assert.Equal(64, vector.Length);
        Assert.InRange(Math.Sqrt(vector.Sum(value => (double)value * value)), 0.999, 1.001);
    }

    private static void AssertTensor(GgufTensor tensor, uint type, params long[] shape)
    {
        Assert.Equal(type, tensor.Type);
        Assert.Equal(shape, tensor.Shape);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
