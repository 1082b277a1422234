namespace OpeaChat.Contracts.OpenAi;

/// <summary>OpenAI's model list; each entry adds what llama-server users look for (architecture, size, context, state).</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Data)
{
    public string Object => "list";
}

/// <summary>One model of <c>GET /v1/models</c>, as the inference service describes it and the gateway passes it on.</summary>
public sealed record ModelInfo
{
    public required string Id { get; init; }
    public string Object => "model";
    public long Created { get; init; }
    public string OwnedBy => "opeachat";
    public string? Architecture { get; init; }
    public long Parameters { get; init; }
    public string? Quantization { get; init; }
    public long FileSize { get; init; }
    public long? ContextLength { get; init; }
    public long? VocabularySize { get; init; }
    public long? BlockCount { get; init; }
    public long? EmbeddingLength { get; init; }
    public bool ChatTemplate { get; init; }

    /// <summary><c>loaded</c>, <c>loading</c>, <c>failed</c> or <c>unloaded</c>.</summary>
    public string? Status { get; init; }
    public bool Loaded { get; init; }
    public double? LoadProgress { get; init; }
    public int? ActiveSequences { get; init; }
    public int? QueuedRequests { get; init; }
    public int? MaxParallelSequences { get; init; }
    public int? SequenceContextSize { get; init; }

    /// <summary>The model a request that names none gets.</summary>
    public bool Default { get; init; }
}
