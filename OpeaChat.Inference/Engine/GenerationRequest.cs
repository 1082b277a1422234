using LLama.Native;

namespace OpeaChat.Inference.Engine;

/// <summary>How to pick each next token.</summary>
public sealed record SamplingSettings
{
    public float Temperature { get; init; } = 0.8f;
    public float TopP { get; init; } = 0.95f;
    public int TopK { get; init; } = 40;
    public float MinP { get; init; } = 0.05f;
    public float RepeatPenalty { get; init; } = 1.0f;
    public float FrequencyPenalty { get; init; }
    public float PresencePenalty { get; init; }
    public uint Seed { get; init; }

    /// <summary>A GBNF grammar that constrains the output (JSON mode), or null.</summary>
    public string? Grammar { get; init; }

    /// <summary>Keep generating past the model's end-of-generation token (llama-server's <c>ignore_eos</c>).</summary>
    public bool IgnoreEndOfGeneration { get; init; }
}

/// <summary>One request for text, already tokenized and checked against the sequence's context budget.</summary>
public sealed class GenerationRequest
{
    public required IReadOnlyList<LLamaToken> PromptTokens { get; init; }
    public required SamplingSettings Sampling { get; init; }

    /// <summary>Most tokens to generate; the caller has already capped it to what fits the sequence's context.</summary>
    public required int MaxTokens { get; init; }

    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Reuse a cached prefix for this prompt, and keep this sequence in the cache when it ends.</summary>
    public bool CachePrompt { get; init; } = true;

    /// <summary>A grammar that starts to hold only once the model writes its trigger (tool calls under <c>auto</c>), or null.</summary>
    public LazyGrammar? LazyGrammar { get; init; }
    public CancellationToken CancellationToken { get; init; }

}

/// <summary>A piece of generated text, or (last) the result.</summary>
public readonly record struct GenerationUpdate(string? Text, GenerationResult? Result);

/// <summary>How a generation ended. <see cref="Error"/> is set when it failed part-way.</summary>
public sealed record GenerationResult(string FinishReason, int PromptTokens, int CompletionTokens, string? Error = null)
{
    public const string Cancelled = "cancelled";
    public const string Failed = "error";

    /// <summary>Prompt tokens whose KV-cache entries were reused from an earlier request instead of evaluated again.</summary>
    public int CachedTokens { get; init; }
}

/// <summary>A snapshot of the decode loop for status endpoints and gauges.</summary>
public readonly record struct DecodeLoopStatus(int ActiveSequences, int QueuedRequests, int KvCellsUsed, int CachedSequences, long GeneratedTokens);
