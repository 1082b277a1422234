using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.OpenAi;

public sealed record EmbeddingRequest
{
    public PromptText? Input { get; init; }
    public string? Model { get; init; }
    public string? EncodingFormat { get; init; }

    /// <summary>
    /// Text Embeddings Inference's extension: true cuts an input longer than the model's context to its first tokens
    /// instead of refusing the request (document chunks of dense text, code or tables can outgrow a 512-token encoder).
    /// </summary>
    public bool? Truncate { get; init; }
}

public sealed record EmbeddingResponse
{
    public string Object { get; init; } = "list";
    public required IReadOnlyList<EmbeddingData> Data { get; init; }
    public required string Model { get; init; }
    public required Usage Usage { get; init; }
}

public sealed record EmbeddingData
{
    public string Object { get; init; } = "embedding";
    public int Index { get; init; }
    public required IReadOnlyList<float> Embedding { get; init; }
}

// llama-server's /tokenize, kept beside embeddings: both turn text into model input, and the gateway counts a RAG
// prompt's budget with it.

public sealed record TokenizeRequest
{
    public string? Content { get; init; }

    /// <summary>Add the model's special tokens (BOS); llama-server's default is true.</summary>
    public bool? AddSpecial { get; init; }
}

public sealed record TokenizeResponse
{
    public required IReadOnlyList<int> Tokens { get; init; }
}
