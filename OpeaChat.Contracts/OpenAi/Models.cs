namespace OpeaChat.Contracts.OpenAi;

/// <summary>OpenAI's model list; each entry adds what llama-server users look for (architecture, size, context, state).</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Data)
{
    public string Object => "list";

    /// <summary>The model <c>/v1/embeddings</c> uses when a request names none (the chat model when none is configured).</summary>
    public string? EmbeddingModel { get; init; }

    /// <summary>The model behind <c>/v1/rerank</c>; null: none is configured and <c>/v1/rerank</c> answers 404.</summary>
    public string? RerankModel { get; init; }

    /// <summary>What a person should fix in the set-up (for example embeddings served by the chat model).</summary>
    public IReadOnlyList<string>? Warnings { get; init; }
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

    /// <summary>How the model is shown tools and writes calls: <c>hermes</c>, <c>llama3</c>, <c>mistral</c> or <c>generic</c>.</summary>
    public string? ToolFormat { get; init; }

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

    /// <summary>What this server uses the model for: <c>chat</c>, <c>embeddings</c>, <c>rerank</c> (empty: only on request).</summary>
    public IReadOnlyList<string>? Serves { get; init; }

    /// <summary>A problem with the model's role a person should know about (for example embeddings from a chat model).</summary>
    public string? Warning { get; init; }
}
