using System.Text.Json.Serialization;

namespace OpeaChat.Benchmarks.Load.Targets;

// What the load generator reads and sends beyond the shared OpenAI request type: lenient shapes, so any
// OpenAI-compatible server (llama-server, vLLM, the gateway's OpenAI door) can be measured, not only ours.

/// <summary>One <c>data:</c> event of an OpenAI chat stream: a text piece, the finish, usage, or an error.</summary>
public sealed record StreamChunk
{
    public IReadOnlyList<StreamChoice>? Choices { get; init; }
    public TokenUsage? Usage { get; init; }
    public StreamError? Error { get; init; }
    public string? Model { get; init; }
}

public sealed record StreamChoice
{
    public StreamDelta? Delta { get; init; }
    public string? FinishReason { get; init; }
}

public sealed record StreamDelta
{
    public string? Content { get; init; }
}

public sealed record TokenUsage
{
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
}

public sealed record StreamError
{
    public string? Message { get; init; }
    public string? Code { get; init; }
}

/// <summary>The parts of a non-streamed answer (OpenAI or OPEA) that calibration needs.</summary>
public sealed record CompletionUsage
{
    public string? Model { get; init; }
    public TokenUsage? Usage { get; init; }
}

/// <summary><c>GET /v1/models</c> with the inference service's extra fields, where present.</summary>
public sealed record ModelList
{
    public IReadOnlyList<ModelEntry>? Data { get; init; }
}

public sealed record ModelEntry
{
    public string? Id { get; init; }
    public bool? Default { get; init; }
    public bool? Loaded { get; init; }
    public int? MaxParallelSequences { get; init; }
    public int? SequenceContextSize { get; init; }
}

/// <summary>
/// OPEA's ChatQnA request. <c>ignore_eos</c> and <c>cache_prompt</c> are llama-server extensions: sent so that a gateway
/// that passes them on gives exactly the asked lengths; one that drops them still answers (OPEA ignores unknown fields).
/// </summary>
public sealed record OpeaLoadRequest
{
    public required IReadOnlyList<OpeaLoadMessage> Messages { get; init; }
    public bool Stream { get; init; } = true;
    public int MaxTokens { get; init; }
    public float Temperature { get; init; }
    public float TopP { get; init; }
    public int TopK { get; init; }
    public float RepetitionPenalty { get; init; }
    public long Seed { get; init; }
    public bool? IgnoreEos { get; init; }
    public bool? CachePrompt { get; init; }
}

public sealed record OpeaLoadMessage(string Role, string Content);

/// <summary>FastAPI's error body: <c>{"detail": ...}</c> (a string, or a list for validation errors).</summary>
public sealed record OpeaError
{
    public System.Text.Json.JsonElement Detail { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamChunk))]
[JsonSerializable(typeof(CompletionUsage))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(OpeaLoadRequest))]
[JsonSerializable(typeof(OpeaError))]
public sealed partial class LoadWireJsonContext : JsonSerializerContext;
