using System.Globalization;
using OpeaChat.Inference.Models;

namespace OpeaChat.Benchmarks.Synth;

/// <summary>The shape of a BERT encoder (llama.cpp's <c>bert</c> architecture: bge, all-MiniLM, bge-reranker).</summary>
public sealed record BertShape(int Dim, int Layers, int Ffn, int Heads, int ContextLength = 512)
{
    /// <summary>BAAI/bge-small-en-v1.5: 33 M parameters, 384 dimensions.</summary>
    public static BertShape BgeSmall { get; } = new(384, 12, 1536, 12);

    /// <summary>sentence-transformers/all-MiniLM-L6-v2: 22 M parameters, 384 dimensions.</summary>
    public static BertShape MiniLm { get; } = new(384, 6, 1536, 12);
}

/// <summary>
/// Builds a random-weight BERT GGUF: the vectors it gives mean nothing, but each token costs what it costs in a trained
/// model of the same shape and quantisation. With <c>rank</c> it carries the classification head llama.cpp's rank
/// pooling reads (<c>cls</c>, <c>cls.output</c>), as bge-reranker does.
/// </summary>
public static class SyntheticBert
{
    public const uint FileTypeF32 = 0;

    /// <param name="tokenizer">The <c>tokenizer.*</c> metadata to write (another model's, or <see cref="WordPieceVocabulary"/>'s).</param>
    /// <param name="matrices">F32 for every tensor, or Q8_0 for the weight matrices (as quantised GGUFs ship).</param>
    public static GgufWriter Build(BertShape shape, IEnumerable<KeyValuePair<string, GgufValue>> tokenizer, bool rank, GgmlType matrices,
        int seed, float standardDeviation)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var tokenizerEntries = tokenizer.ToList();
        var vocabulary = tokenizerEntries.FirstOrDefault(entry => entry.Key == "tokenizer.ggml.tokens").Value?.Value is GgufArray tokens
            ? tokens.Length
            : throw new ArgumentException("The tokenizer has no tokenizer.ggml.tokens array.", nameof(tokenizer));
        if (shape.Dim % shape.Heads != 0 || (matrices == GgmlType.Q8_0 && (shape.Dim % GgufWriter.Q8BlockSize != 0 || shape.Ffn % GgufWriter.Q8BlockSize != 0)))
        {
            throw new ArgumentException($"dim must be a multiple of heads{(matrices == GgmlType.Q8_0 ? " and dim and ffn of 32 (Q8_0 blocks)" : string.Empty)}.", nameof(shape));
        }

        var gguf = new GgufWriter();
        gguf.Add("general.architecture", GgufValue.String("bert"));
        gguf.Add("general.name", GgufValue.String(string.Create(CultureInfo.InvariantCulture,
            $"synthetic-bert{(rank ? "-reranker" : string.Empty)}-d{shape.Dim}-l{shape.Layers}-f{shape.Ffn}-h{shape.Heads}")));
        gguf.Add("general.file_type", GgufValue.UInt32(matrices == GgmlType.Q8_0 ? SyntheticLlama.FileTypeQ8_0 : FileTypeF32));
        gguf.Add("bert.context_length", GgufValue.UInt32((uint)shape.ContextLength));
        gguf.Add("bert.embedding_length", GgufValue.UInt32((uint)shape.Dim));
        gguf.Add("bert.feed_forward_length", GgufValue.UInt32((uint)shape.Ffn));
        gguf.Add("bert.attention.head_count", GgufValue.UInt32((uint)shape.Heads));
        gguf.Add("bert.attention.layer_norm_epsilon", GgufValue.Float32(1e-12f));
        gguf.Add("bert.block_count", GgufValue.UInt32((uint)shape.Layers));
        gguf.Add("bert.attention.causal", new GgufValue(GgufType.Bool, false));
        gguf.Add("bert.pooling_type", GgufValue.UInt32(rank ? 4u : 2u)); // rank, or CLS as bge
        gguf.Add("tokenizer.ggml.token_type_count", GgufValue.UInt32(2));
        foreach (var (key, value) in tokenizerEntries.Where(entry => entry.Key.StartsWith(SyntheticLlama.TokenizerPrefix, StringComparison.Ordinal)))
        {
            if (key != "tokenizer.ggml.token_type_count")
            {
                gguf.Add(key, value);
            }
        }

        var tensor = seed;
        void Random(string name, long inputs, long outputs, GgmlType type)
        {
            tensor++;
            gguf.AddTensor(name, [inputs, outputs], type, type == GgmlType.Q8_0
                ? RandomWeights.Q8_0(inputs * outputs, tensor, standardDeviation)
                : RandomWeights.F32(inputs * outputs, tensor, standardDeviation));
        }

        void Constant(string name, long length, float value) => gguf.AddTensor(name, [length], GgmlType.F32, RandomWeights.Constant(length, value));
        void Norm(string name)
        {
            Constant(name + ".weight", shape.Dim, 1f);
            Constant(name + ".bias", shape.Dim, 0f);
        }

        Random("token_embd.weight", shape.Dim, vocabulary, matrices);
        Random("token_types.weight", shape.Dim, 2, GgmlType.F32);
        Random("position_embd.weight", shape.Dim, shape.ContextLength, GgmlType.F32);
        Norm("token_embd_norm");
        if (rank)
        {
            Random("cls.weight", shape.Dim, shape.Dim, matrices);
            Constant("cls.bias", shape.Dim, 0f);
            Random("cls.output.weight", shape.Dim, 1, GgmlType.F32);
            Constant("cls.output.bias", 1, 0f);
        }

        for (var layer = 0; layer < shape.Layers; layer++)
        {
            var block = string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.");
            foreach (var projection in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
            {
                Random(block + projection + ".weight", shape.Dim, shape.Dim, matrices);
                Constant(block + projection + ".bias", shape.Dim, 0f);
            }

            Norm(block + "attn_output_norm");
            Random(block + "ffn_up.weight", shape.Dim, shape.Ffn, matrices);
            Constant(block + "ffn_up.bias", shape.Ffn, 0f);
            Random(block + "ffn_down.weight", shape.Ffn, shape.Dim, matrices);
            Constant(block + "ffn_down.bias", shape.Dim, 0f);
            Norm(block + "layer_output_norm");
        }

        return gguf;
    }

    public static SynthResult Write(BertShape shape, IEnumerable<KeyValuePair<string, GgufValue>> tokenizer, bool rank, GgmlType matrices,
        string outputPath, int seed, float standardDeviation, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var gguf = Build(shape, tokenizer, rank, matrices, seed, standardDeviation);
        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var bytes = gguf.Write(outputPath, progress, cancellationToken);
        var vocabulary = checked((int)((GgufArray)gguf.Metadata.First(entry => entry.Key == "tokenizer.ggml.tokens").Value.Value).Length);
        var tokenizerKeys = gguf.Metadata.Count(entry => entry.Key.StartsWith(SyntheticLlama.TokenizerPrefix, StringComparison.Ordinal));
        return new SynthResult(Path.GetFullPath(outputPath), gguf.ParameterCount, bytes, vocabulary, tokenizerKeys);
    }
}
