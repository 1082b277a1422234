using System.ComponentModel.DataAnnotations;

namespace OpeaChat.Inference.Models;

/// <summary>Settings of the model server, bound from the <c>Inference</c> configuration section.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary>One GGUF file to serve. When empty, the first <c>*.gguf</c> in <see cref="ModelsDirectory"/> is used.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Folder searched for GGUF files; relative paths are relative to the working directory.</summary>
    [Required]
    public string ModelsDirectory { get; set; } = "models";

    /// <summary>
    /// Total KV-cache size in tokens, shared by all parallel sequences: each sequence gets
    /// <c>ContextSize / MaxParallelSequences</c> tokens. 0 means the model's trained context length.
    /// </summary>
    [Range(0, 1_048_576)]
    public int ContextSize { get; set; } = 8192;

    /// <summary>CPU threads for generation; 0 picks half the logical processors (about one per physical core).</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>CPU threads for prompt processing; 0 uses every logical processor (prompts are compute-bound, unlike generation).</summary>
    [Range(0, 1024)]
    public int BatchThreads { get; set; }

    /// <summary>Most tokens decoded in one step (prompt tokens of new requests plus one token per running sequence).</summary>
    [Range(1, 65_536)]
    public int BatchSize { get; set; } = 512;

    /// <summary>Layers offloaded to the GPU: 0 = none (CPU), -1 = all. Needs a CUDA build (see docs/gpu.md).</summary>
    [Range(-1, 10_000)]
    public int GpuLayerCount { get; set; }

    /// <summary>How many requests decode together (continuous batching).</summary>
    [Range(1, 256)]
    public int MaxParallelSequences { get; set; } = 4;

    /// <summary>Requests that may wait for a free sequence; beyond this the server answers 429.</summary>
    [Range(0, 100_000)]
    public int MaxQueueLength { get; set; } = 64;

    /// <summary>
    /// The embedding model /v1/embeddings uses when a request names none: a model id from the models folder or a GGUF
    /// path (bge-small-en-v1.5, nomic-embed-text, all-MiniLM-L6-v2), loaded with an embeddings-only context beside the
    /// chat model. Empty: the chat model's embeddings are used, with a warning (they are poor for retrieval).
    /// </summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>The reranker behind /v1/rerank (a model id or GGUF path, e.g. bge-reranker-v2-m3); empty: /v1/rerank answers 404.</summary>
    public string? RerankModel { get; set; }

    /// <summary>Tokens embedded (or reranked) in one decode, several inputs together; also the longest input of a dedicated model.</summary>
    [Range(64, 65_536)]
    public int EmbeddingBatchSize { get; set; } = 2048;

    /// <summary>Inputs (or rerank documents) decoded together as separate sequences of one batch.</summary>
    [Range(1, 64)]
    public int EmbeddingMaxSequences { get; set; } = 16;

    /// <summary>Force flash attention on (faster prompts on long contexts); false lets llama.cpp decide.</summary>
    public bool FlashAttention { get; set; } = true;

    /// <summary>How many models stay in memory; loading another unloads the least recently used.</summary>
    [Range(1, 64)]
    public int MaxLoadedModels { get; set; } = 1;

    /// <summary>
    /// Finished conversations kept in the KV cache so that a request extending one (the next turn of a chat) reuses
    /// its evaluated prefix. They use cells left free by running requests and are evicted first when cells run short.
    /// </summary>
    [Range(0, 64)]
    public int PrefixCacheSlots { get; set; } = 4;

    /// <summary>How long an unloading model may finish its running requests before they are ended.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan UnloadDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keys that may call every endpoint but /health and /alive (chat, embeddings, reranking, /tokenize, models and their load/unload) as
    /// <c>Authorization: Bearer KEY</c>; empty (a standalone run) leaves it open. The AppHost generates one for
    /// development and gives it to the gateway; the compose file requires one.
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>Largest request body accepted, in bytes (413 beyond it).</summary>
    [Range(1_024, 1_073_741_824)]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// A model to pull from Hugging Face at start when its file is not in the models folder yet (the AppHost maps
    /// OPEACHAT_PULL to it), such as <c>hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M</c>; the pull runs in the
    /// background and /health reports its progress.
    /// </summary>
    public string? Pull { get; set; }

    /// <summary>The models <c>GET /v1/models/recommended</c> offers (defaults in appsettings.json).</summary>
    public IList<Pulls.RecommendedModelOptions> RecommendedModels { get; } = [];

    public int EffectiveThreads => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / 2);

    public int EffectiveBatchThreads => BatchThreads > 0 ? BatchThreads : Environment.ProcessorCount;
}
