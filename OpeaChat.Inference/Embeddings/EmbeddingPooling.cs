using System.Globalization;
using LLama;
using LLama.Native;

namespace OpeaChat.Inference.Embeddings;

/// <summary>The pooling a GGUF asks for in <c>&lt;arch&gt;.pooling_type</c> (llama_pooling_type); mean when it says none.</summary>
public static class EmbeddingPooling
{
    public static LLamaPoolingType FromMetadata(LLamaWeights weights) =>
        weights.Metadata.TryGetValue("general.architecture", out var architecture)
        && weights.Metadata.TryGetValue($"{architecture}.pooling_type", out var value)
            ? FromValue(value)
            : LLamaPoolingType.Mean;

    /// <summary>Mean, CLS and last are kept; none and rank (a reranker's) give no sentence vector, so mean is used.</summary>
    public static LLamaPoolingType FromValue(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number is 1 or 2 or 3
            ? (LLamaPoolingType)number
            : LLamaPoolingType.Mean;
}
