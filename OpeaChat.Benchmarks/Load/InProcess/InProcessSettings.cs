using OpeaChat.Inference.Models;

namespace OpeaChat.Benchmarks.Load.InProcess;

/// <summary>The in-process engine's settings, named as the inference service's <c>Inference:*</c> options.</summary>
public sealed record InProcessSettings
{
    /// <summary>No 429s in process: every user's request waits for a sequence.</summary>
    private const int UnboundedQueue = 1_000_000;

    public int Threads { get; init; } = 2;

    /// <summary>0: the same as <see cref="Threads"/>.</summary>
    public int BatchThreads { get; init; }
    public int ContextSize { get; init; } = 8192;
    public int MaxParallelSequences { get; init; } = 8;
    public int BatchSize { get; init; } = 512;
    public bool FlashAttention { get; init; } = true;

    /// <summary>Finished requests the decode loop keeps in its prefix cache (<c>Inference:PrefixCacheSlots</c>).</summary>
    public int PrefixCacheSlots { get; init; } = 4;

    public int EffectiveBatchThreads => BatchThreads > 0 ? BatchThreads : Threads;

    /// <summary>
    /// The service's options with these values, from which <see cref="ModelParameters"/> and
    /// <see cref="LoadedModel"/> build the model as the service does: on the CPU, with an unbounded wait queue.
    /// </summary>
    public InferenceOptions ToInferenceOptions() => new()
    {
        Threads = Threads,
        BatchThreads = EffectiveBatchThreads,
        ContextSize = ContextSize,
        MaxParallelSequences = MaxParallelSequences,
        BatchSize = BatchSize,
        FlashAttention = FlashAttention,
        PrefixCacheSlots = PrefixCacheSlots,
        GpuLayerCount = 0,
        MaxQueueLength = UnboundedQueue,
    };
}
