using System.Globalization;
using OpeaChat.Benchmarks.Synth;
using OpeaChat.Inference.Models;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// A real two-layer BERT GGUF (llama.cpp's <c>bert</c> architecture, as bge-small, all-MiniLM and bge-reranker are
/// built) with random weights and the test model's tokenizer, written with the benchmarks' GGUF writer. With
/// <c>rank</c> it carries the classification head llama.cpp's rank pooling reads (<c>cls</c>, <c>cls.output</c>), so
/// <c>LLamaReranker</c> scores through a real head; stories260K itself cannot: the llama architecture loads no
/// <c>cls.output</c> ("wrong number of tensors").
/// </summary>
public static class TinyBert
{
    private const int Embedding = 64;
    private const int FeedForward = 128;
    private const int Layers = 2;
    private const int Context = 512;

    public static string Write(string path, bool rank)
    {
        var tokenizer = GgufFile.Read(TestModel.Path, readArrayItems: true);
        var vocabulary = ((GgufArray)tokenizer.Metadata["tokenizer.ggml.tokens"]).Length;
        var gguf = new GgufWriter();
        gguf.Add("general.architecture", GgufValue.String("bert"));
        gguf.Add("general.name", GgufValue.String(rank ? "tiny-bert-reranker" : "tiny-bert"));
        gguf.Add("bert.context_length", GgufValue.UInt32(Context));
        gguf.Add("bert.embedding_length", GgufValue.UInt32(Embedding));
        gguf.Add("bert.feed_forward_length", GgufValue.UInt32(FeedForward));
        gguf.Add("bert.attention.head_count", GgufValue.UInt32(4));
        gguf.Add("bert.attention.layer_norm_epsilon", GgufValue.Float32(1e-12f));
        gguf.Add("bert.block_count", GgufValue.UInt32(Layers));
        gguf.Add("bert.attention.causal", new GgufValue(GgufType.Bool, false));
        gguf.Add("bert.pooling_type", GgufValue.UInt32(rank ? 4u : 2u)); // CLS pooling, so the metadata's choice shows
        gguf.Add("tokenizer.ggml.token_type_count", GgufValue.UInt32(2));
        foreach (var (key, value) in tokenizer.Entries.Where(entry => entry.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
        {
            gguf.Add(key, value);
        }

        var seed = 0;
        void Random(string name, params long[] shape) => gguf.AddTensor(name, shape, GgmlType.F32, Gaussian(shape.Aggregate(1L, (a, b) => a * b), ++seed));
        void Constant(string name, long length, float value) => gguf.AddTensor(name, [length], GgmlType.F32, RandomWeights.Constant(length, value));
        void Norm(string name)
        {
            Constant(name + ".weight", Embedding, 1f);
            Constant(name + ".bias", Embedding, 0f);
        }

        Random("token_embd.weight", Embedding, vocabulary);
        Random("token_types.weight", Embedding, 2);
        Random("position_embd.weight", Embedding, Context);
        Norm("token_embd_norm");
        if (rank)
        {
            Random("cls.weight", Embedding, Embedding);
            Constant("cls.bias", Embedding, 0f);
            Random("cls.output.weight", Embedding, 1);
            Constant("cls.output.bias", 1, 0f);
        }

        for (var layer = 0; layer < Layers; layer++)
        {
            var block = string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.");
            foreach (var projection in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
            {
                Random(block + projection + ".weight", Embedding, Embedding);
                Constant(block + projection + ".bias", Embedding, 0f);
            }

            Norm(block + "attn_output_norm");
            Random(block + "ffn_up.weight", Embedding, FeedForward);
            Constant(block + "ffn_up.bias", FeedForward, 0f);
            Random(block + "ffn_down.weight", FeedForward, Embedding);
            Constant(block + "ffn_down.bias", Embedding, 0f);
            Norm(block + "layer_output_norm");
        }

        gguf.Write(path, progress: null, CancellationToken.None);
        return path;
    }

    private static GgufWriter.TensorDataWriter Gaussian(long elements, int seed) => (destination, _) =>
    {
        var random = new Random(seed);
        var bytes = new byte[elements * sizeof(float)];
        for (var i = 0; i < elements; i++)
        {
            // Box-Muller: normal(0, 0.05), small enough that the layer norms keep activations tame.
            var value = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * 0.05;
            BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(float)), (float)value);
        }

        destination.Write(bytes);
    };
}
