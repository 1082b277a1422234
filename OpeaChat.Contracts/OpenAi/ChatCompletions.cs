using System.Text.Json;
using System.Text.Json.Serialization;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Contracts.OpenAi;

// OpenAI's chat-completions wire, field for field: the inference service serves it, the gateway calls it and serves it
// again (with OpeaChat's memory fields), and the web, the benchmarks and the tests read it.

/// <summary>The sampling and length fields that chat and text completions share.</summary>
public abstract record GenerationParameters
{
    public string? Model { get; init; }
    public int? MaxTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? MinP { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? PresencePenalty { get; init; }
    public float? RepeatPenalty { get; init; }
    public long? Seed { get; init; }
    public StopSequences? Stop { get; init; }
    public bool? Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }
    public int? N { get; init; }

    /// <summary>llama-server's extension: keep generating past the end-of-generation token.</summary>
    public bool? IgnoreEos { get; init; }

    /// <summary>llama-server's extension: a GBNF grammar the output must match (its start rule is <c>root</c>).</summary>
    public string? Grammar { get; init; }

    /// <summary>llama-server's extension: reuse (and keep) the KV cache of a matching earlier prompt. Default true.</summary>
    public bool? CachePrompt { get; init; }

    public string? User { get; init; }
}

public sealed record ChatCompletionRequest : GenerationParameters, IRetrievalParameters
{
    public IReadOnlyList<ChatMessage>? Messages { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>Functions the model may call; <see cref="ToolChoice"/> says whether it must.</summary>
    public IReadOnlyList<ChatTool>? Tools { get; init; }
    public ToolChoice? ToolChoice { get; init; }

    /// <summary>May the answer hold several calls (default true).</summary>
    public bool? ParallelToolCalls { get; init; }

    /// <summary>Return each generated token's log-probability…</summary>
    public bool? Logprobs { get; init; }

    /// <summary>…and, with <see cref="Logprobs"/>, this many (0 to 20) most likely tokens at each position.</summary>
    public int? TopLogprobs { get; init; }

    /// <summary>OpeaChat's memory (the gateway only): continue this stored conversation; the history comes from it.</summary>
    public Guid? ConversationId { get; init; }

    /// <summary>
    /// OpeaChat's extension (the gateway only, with <see cref="ConversationId"/> and streaming): the reply goes on being
    /// generated and saved when the client leaves; follow it again at <c>/v1/conversations/{id}/messages/{reply}/stream</c>,
    /// end it at <c>…/stop</c>.
    /// </summary>
    public bool? ContinueOnDisconnect { get; init; }

    /// <summary>OpeaChat's prompts (the gateway only): a system prompt or prompt template by id…</summary>
    public string? PromptId { get; init; }

    /// <summary>…and the values of its <c>{placeholders}</c>.</summary>
    public Dictionary<string, string>? Variables { get; init; }

    /// <summary>
    /// OpeaChat's retrieval (the gateway only): answer from the ingested documents. Off by default on this door (on when
    /// the conversation's settings say so); <c>/v1/chatqna</c> always retrieves, as OPEA does.
    /// </summary>
    public bool? UseDocuments { get; init; }

    public int? K { get; init; }
    public int? FetchK { get; init; }
    public string? SearchType { get; init; }
    public double? DistanceThreshold { get; init; }
    public double? ScoreThreshold { get; init; }
    public double? LambdaMult { get; init; }
    public int? TopN { get; init; }
    public string? IndexName { get; init; }
    public string? ChatTemplate { get; init; }
}

public sealed record StreamOptions
{
    public bool? IncludeUsage { get; init; }
}

public sealed record ResponseFormat
{
    /// <summary><c>text</c>, <c>json_object</c> or <c>json_schema</c>.</summary>
    public string? Type { get; init; }

    /// <summary>With <c>json_schema</c>: the schema the answer must follow.</summary>
    public JsonSchemaFormat? JsonSchema { get; init; }
}

/// <summary>OpenAI's <c>response_format.json_schema</c>: a named JSON Schema for structured outputs.</summary>
public sealed record JsonSchemaFormat
{
    public string? Name { get; init; }
    public string? Description { get; init; }

    /// <summary>The JSON Schema itself, kept as raw JSON: it is turned into a grammar, never bound to a type.</summary>
    public JsonElement? Schema { get; init; }
    public bool? Strict { get; init; }
}

public sealed record ChatMessage
{
    public string? Role { get; init; }

    /// <summary>Written even when null, as OpenAI does for an assistant message that only made calls.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public MessageContent? Content { get; init; }

    /// <summary>An assistant message's calls (its content may then be null).</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }

    /// <summary>A <c>tool</c> message's answer to this call.</summary>
    public string? ToolCallId { get; init; }
    public string? Name { get; init; }

    public static ChatMessage Create(string role, string text) => new() { Role = role, Content = new MessageContent(text) };
}

/// <summary>A message's content: OpenAI allows a plain string or a list of typed parts; only text parts carry text.</summary>
[JsonConverter(typeof(MessageContentConverter))]
public sealed record MessageContent(string Text);

/// <summary>OpenAI's <c>stop</c>: a single string or a list of strings.</summary>
[JsonConverter(typeof(StopSequencesConverter))]
public sealed record StopSequences(IReadOnlyList<string> Values);

public sealed record ChatCompletionResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<ChatCompletionChoice> Choices { get; init; }
    public required Usage Usage { get; init; }
    public string? SystemFingerprint { get; init; }

    /// <summary>OpeaChat's extension (the gateway only): the chunks the answer was built from.</summary>
    public IReadOnlyList<RetrievedSource>? Sources { get; init; }
}

public sealed record ChatCompletionChoice
{
    public int Index { get; init; }
    public required ChatMessage Message { get; init; }
    public required string FinishReason { get; init; }
    public ChoiceLogprobs? Logprobs { get; init; }
}

public sealed record ChatCompletionChunk
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion.chunk";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<ChatCompletionChunkChoice> Choices { get; init; }
    public Usage? Usage { get; init; }
    public string? SystemFingerprint { get; init; }

    /// <summary>OpeaChat's extension (the gateway only, on the first chunk): the chunks the answer is built from.</summary>
    public IReadOnlyList<RetrievedSource>? Sources { get; init; }
}

public sealed record ChatCompletionChunkChoice
{
    public int Index { get; init; }
    public required ChatDelta Delta { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
    public ChoiceLogprobs? Logprobs { get; init; }
}

public sealed record ChatDelta
{
    public string? Role { get; init; }
    public string? Content { get; init; }
    public IReadOnlyList<ToolCallDelta>? ToolCalls { get; init; }
}

public sealed record Usage
{
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    public int TotalTokens { get; init; }
    public PromptTokensDetails? PromptTokensDetails { get; init; }
}

public sealed record PromptTokensDetails
{
    /// <summary>Prompt tokens served from the KV cache of an earlier request.</summary>
    public int CachedTokens { get; init; }
}

public static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string ToolCalls = "tool_calls";
}
