using System.Globalization;

namespace OpeaChat.Inference.Models;

/// <summary>
/// Whether the KV cache for the configured context fits in the memory this process may use, checked before llama.cpp
/// allocates it. On Linux the allocation itself succeeds (memory is promised, not given) and the process is killed
/// later, at the first request that touches it: refusing up front gives a reason instead of a crash.
/// </summary>
public static class KvCacheBudget
{
    /// <summary>llama.cpp's default cache type stores K and V as 16-bit floats.</summary>
    private const long BytesPerValue = 2;

    /// <summary>
    /// The KV cache's size for <paramref name="contextTokens"/> tokens from the model's header (layers, heads, head
    /// sizes), or null when the header does not say (for example per-layer head counts).
    /// </summary>
    public static long? EstimateBytes(GgufFile file, long contextTokens)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.GetArchitectureInteger("block_count") is not { } layers
            || file.GetArchitectureInteger("embedding_length") is not { } embedding
            || file.GetArchitectureInteger("attention.head_count") is not { } heads
            || heads <= 0)
        {
            return null;
        }

        var kvHeads = file.GetArchitectureInteger("attention.head_count_kv") ?? heads;
        var keyLength = file.GetArchitectureInteger("attention.key_length") ?? embedding / heads;
        var valueLength = file.GetArchitectureInteger("attention.value_length") ?? embedding / heads;
        return layers * contextTokens * kvHeads * (keyLength + valueLength) * BytesPerValue;
    }

    /// <summary>Null when the cache fits in <paramref name="availableBytes"/>; otherwise what to tell the person.</summary>
    public static string? Check(long? cacheBytes, long contextTokens, long availableBytes)
    {
        if (cacheBytes is not { } needed || availableBytes <= 0 || needed <= availableBytes)
        {
            return null;
        }

        // The largest power-of-two context whose cache takes at most half of what is available (the weights need room too).
        var bytesPerToken = Math.Max(1, needed / Math.Max(1, contextTokens));
        var suggested = 512L;
        while (suggested * 2 * bytesPerToken <= availableBytes / 2 && suggested * 2 < contextTokens)
        {
            suggested *= 2;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"The KV cache for a context of {contextTokens} tokens needs about {Gib(needed)} GiB, more than the {Gib(availableBytes)} GiB this process may use. "
            + $"Lower Inference:ContextSize (for example to {suggested}), or offload to a GPU with Inference:GpuLayerCount.");
    }

    private static string Gib(long bytes) => (bytes / (1024.0 * 1024 * 1024)).ToString("0.#", CultureInfo.InvariantCulture);
}
