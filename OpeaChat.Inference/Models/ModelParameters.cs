using LLama.Common;

namespace OpeaChat.Inference.Models;

/// <summary>
/// The llama.cpp model and context parameters for a model file under the <c>Inference:*</c> options: the one place
/// that turns the options into <see cref="ModelParams"/>, for the service and for the benchmark's in-process engine.
/// </summary>
public static class ModelParameters
{
    public static ModelParams Create(string path, InferenceOptions options) => new(path)
    {
        ContextSize = options.ContextSize > 0 ? (uint)options.ContextSize : null,
        BatchSize = (uint)options.BatchSize,
        Threads = options.EffectiveThreads,
        BatchThreads = options.EffectiveBatchThreads,
        GpuLayerCount = options.GpuLayerCount < 0 ? int.MaxValue : options.GpuLayerCount,
        // One KV pool shared by running requests and cached prefixes, with a sequence id for each.
        SeqMax = (uint)(options.MaxParallelSequences + options.PrefixCacheSlots),
        KVUnified = true,
        FlashAttention = options.FlashAttention ? true : null,
    };
}
