namespace OpeaChat.Inference.Models.Pulls;

/// <summary>Whether a GGUF is an embedding model rather than a chat model, from its header.</summary>
public static class ModelKinds
{
    // Encoder architectures llama.cpp runs as embedders; decoder embedders (Qwen3-Embedding) say so with a pooling type.
    private static readonly HashSet<string> EmbeddingArchitectures = new(StringComparer.OrdinalIgnoreCase)
    {
        "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert", "neo-bert", "eurobert", "t5encoder",
    };

    public static bool IsEmbeddingModel(string path) =>
        GgufFile.TryRead(path) is { Architecture: { } architecture } gguf
        && (EmbeddingArchitectures.Contains(architecture) || gguf.Metadata.ContainsKey($"{architecture}.pooling_type"));
}
