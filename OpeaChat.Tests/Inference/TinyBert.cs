using OpeaChat.Benchmarks.Synth;
using OpeaChat.Inference.Models;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// A real two-layer BERT GGUF (llama.cpp's <c>bert</c> architecture, as bge-small, all-MiniLM and bge-reranker are
/// built) with random weights and the test model's tokenizer, written with the benchmarks' <see cref="SyntheticBert"/>.
/// With <c>rank</c> it carries the classification head llama.cpp's rank pooling reads, so <c>LLamaReranker</c> scores
/// through a real head; stories260K itself cannot: the llama architecture loads no <c>cls.output</c>
/// ("wrong number of tensors").
/// </summary>
public static class TinyBert
{
    private static readonly BertShape s_shape = new(Dim: 64, Layers: 2, Ffn: 128, Heads: 4);

    public static string Write(string path, bool rank)
    {
        var tokenizer = GgufFile.Read(TestModel.Path, readArrayItems: true).Entries;
        // normal(0, 0.05): small enough that the layer norms keep activations tame.
        SyntheticBert.Build(s_shape, tokenizer, rank, GgmlType.F32, seed: 0, standardDeviation: 0.05f).Write(path, progress: null, CancellationToken.None);
        return path;
    }
}
