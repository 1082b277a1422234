using System.Globalization;
using OpeaChat.Inference.Models;

namespace OpeaChat.Benchmarks.Synth;

/// <summary>The shape of a Llama model: what <c>synth</c> is asked for.</summary>
public sealed record LlamaShape(int Dim, int Layers, int Ffn, int Heads, int KvHeads, int ContextLength = 2048)
{
    public int HeadDim => Dim / Heads;

    /// <summary>Width of the K and V projections (grouped-query attention: fewer KV heads than query heads).</summary>
    public int KvDim => HeadDim * KvHeads;

    /// <summary>What is wrong with the shape for llama.cpp and Q8_0, or nothing.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Dim <= 0 || Layers <= 0 || Ffn <= 0 || Heads <= 0 || KvHeads <= 0 || ContextLength <= 0)
        {
            problems.Add("dim, layers, ffn, heads, kv-heads and context length must all be positive.");
            return problems;
        }

        if (Dim % Heads != 0)
        {
            problems.Add($"dim {Dim} must be a multiple of heads {Heads}.");
        }
        else if (HeadDim % 2 != 0)
        {
            problems.Add($"the head size dim/heads = {HeadDim} must be even (rotary embeddings rotate pairs).");
        }

        if (Heads % KvHeads != 0)
        {
            problems.Add($"heads {Heads} must be a multiple of kv-heads {KvHeads}.");
        }

        if (Dim % GgufWriter.Q8BlockSize != 0 || Ffn % GgufWriter.Q8BlockSize != 0)
        {
            problems.Add($"dim and ffn must be multiples of {GgufWriter.Q8BlockSize} (Q8_0 blocks).");
        }

        return problems;
    }
}

public sealed record SynthResult(string Path, long Parameters, long Bytes, int VocabularySize, int TokenizerKeys);

/// <summary>
/// Builds a random-weight Llama GGUF of a given shape with the tokenizer of another GGUF: the text it writes is
/// gibberish, but the cost of each token is that of a trained model of the same shape and quantisation.
/// </summary>
public static class SyntheticLlama
{
    public const string TokenizerPrefix = "tokenizer.";
    public const uint FileTypeQ8_0 = 7; // llama_ftype LLAMA_FTYPE_MOSTLY_Q8_0

    /// <param name="source">The model whose tokenizer is copied, read with its array items.</param>
    public static GgufWriter Build(GgufFile source, LlamaShape shape, int seed, float standardDeviation)
    {
        if (shape.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(shape));
        }

        var tokens = source.Metadata.GetValueOrDefault("tokenizer.ggml.tokens") is GgufArray array
            ? checked((int)array.Length)
            : throw new InvalidDataException("The source GGUF has no tokenizer.ggml.tokens array to copy the vocabulary from.");

        var name = string.Create(CultureInfo.InvariantCulture,
            $"synthetic-llama-d{shape.Dim}-l{shape.Layers}-f{shape.Ffn}-h{shape.Heads}-kv{shape.KvHeads}");
        var gguf = new GgufWriter();
        gguf.Add("general.architecture", GgufValue.String("llama"));
        gguf.Add("general.name", GgufValue.String(name));
        gguf.Add("general.description", GgufValue.String("Random weights (OpeaChat.Benchmarks synth): gibberish text, real cost per token."));
        gguf.Add("general.file_type", GgufValue.UInt32(FileTypeQ8_0));
        gguf.Add("general.quantization_version", GgufValue.UInt32(2));
        gguf.Add("llama.context_length", GgufValue.UInt32((uint)shape.ContextLength));
        gguf.Add("llama.embedding_length", GgufValue.UInt32((uint)shape.Dim));
        gguf.Add("llama.block_count", GgufValue.UInt32((uint)shape.Layers));
        gguf.Add("llama.feed_forward_length", GgufValue.UInt32((uint)shape.Ffn));
        gguf.Add("llama.attention.head_count", GgufValue.UInt32((uint)shape.Heads));
        gguf.Add("llama.attention.head_count_kv", GgufValue.UInt32((uint)shape.KvHeads));
        gguf.Add("llama.rope.dimension_count", GgufValue.UInt32((uint)shape.HeadDim));
        gguf.Add("llama.rope.freq_base", GgufValue.Float32(10000f));
        gguf.Add("llama.attention.layer_norm_rms_epsilon", GgufValue.Float32(1e-5f));
        gguf.Add("llama.vocab_size", GgufValue.UInt32((uint)tokens));
        foreach (var (key, value) in source.Entries.Where(entry => entry.Key.StartsWith(TokenizerPrefix, StringComparison.Ordinal)))
        {
            gguf.Add(key, value);
        }

        var index = 0;
        void Matrix(string tensor, long inputs, long outputs) =>
            gguf.AddTensor(tensor, [inputs, outputs], GgmlType.Q8_0, RandomWeights.Q8_0(inputs * outputs, unchecked((seed * 1_000_003) + index++), standardDeviation));
        void Norm(string tensor) => gguf.AddTensor(tensor, [shape.Dim], GgmlType.F32, RandomWeights.Constant(shape.Dim, 1f));

        Matrix("token_embd.weight", shape.Dim, tokens);
        for (var layer = 0; layer < shape.Layers; layer++)
        {
            var block = string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.");
            Norm(block + "attn_norm.weight");
            Matrix(block + "attn_q.weight", shape.Dim, shape.Dim);
            Matrix(block + "attn_k.weight", shape.Dim, shape.KvDim);
            Matrix(block + "attn_v.weight", shape.Dim, shape.KvDim);
            Matrix(block + "attn_output.weight", shape.Dim, shape.Dim);
            Norm(block + "ffn_norm.weight");
            Matrix(block + "ffn_gate.weight", shape.Dim, shape.Ffn);
            Matrix(block + "ffn_up.weight", shape.Dim, shape.Ffn);
            Matrix(block + "ffn_down.weight", shape.Ffn, shape.Dim);
        }

        Norm("output_norm.weight");
        Matrix("output.weight", shape.Dim, tokens);
        return gguf;
    }

    public static SynthResult Write(string sourcePath, LlamaShape shape, string outputPath, int seed, float standardDeviation,
        IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var source = GgufFile.Read(sourcePath, readArrayItems: true);
        var gguf = Build(source, shape, seed, standardDeviation);
        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var bytes = gguf.Write(outputPath, progress, cancellationToken);
        var vocabulary = checked((int)((GgufArray)source.Metadata["tokenizer.ggml.tokens"]).Length);
        var tokenizerKeys = gguf.Metadata.Count(entry => entry.Key.StartsWith(TokenizerPrefix, StringComparison.Ordinal));
        return new SynthResult(Path.GetFullPath(outputPath), gguf.ParameterCount, bytes, vocabulary, tokenizerKeys);
    }
}
