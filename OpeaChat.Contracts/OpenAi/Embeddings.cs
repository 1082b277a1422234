using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.OpenAi;

public sealed record EmbeddingRequest
{
    public PromptText? Input { get; init; }
    public string? Model { get; init; }
    public string? EncodingFormat { get; init; }
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
