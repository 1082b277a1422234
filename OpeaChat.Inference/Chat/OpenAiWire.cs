using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpeaChat.OpenAi;

// The OpenAI chat-completions wire contract, field for field. This one file is shared by the inference service
// (which serves it) and the ChatQnA gateway (which calls it and serves it again), so the two can never drift.

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

    /// <summary>llama-server's extension: reuse (and keep) the KV cache of a matching earlier prompt. Default true.</summary>
    public bool? CachePrompt { get; init; }

    public string? User { get; init; }
}

public sealed record ChatCompletionRequest : GenerationParameters
{
    public IReadOnlyList<ChatMessage>? Messages { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public ResponseFormat? ResponseFormat { get; init; }
}

/// <summary>The legacy text completion: a raw prompt, no chat template.</summary>
public sealed record CompletionRequest : GenerationParameters
{
    public PromptText? Prompt { get; init; }
}

/// <summary>OpenAI's <c>prompt</c>/<c>input</c>: a string or a list of strings.</summary>
[JsonConverter(typeof(PromptTextConverter))]
public sealed record PromptText(IReadOnlyList<string> Values);

public sealed record CompletionResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "text_completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<CompletionChoice> Choices { get; init; }
    public Usage? Usage { get; init; }
}

public sealed record CompletionChoice
{
    public int Index { get; init; }
    public required string Text { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}

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

public sealed record StreamOptions
{
    public bool? IncludeUsage { get; init; }
}

public sealed record ResponseFormat
{
    public string? Type { get; init; }
}

public sealed record ChatMessage
{
    public string? Role { get; init; }
    public MessageContent? Content { get; init; }

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
}

public sealed record ChatCompletionChoice
{
    public int Index { get; init; }
    public required ChatMessage Message { get; init; }
    public required string FinishReason { get; init; }
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
}

public sealed record ChatCompletionChunkChoice
{
    public int Index { get; init; }
    public required ChatDelta Delta { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}

public sealed record ChatDelta
{
    public string? Role { get; init; }
    public string? Content { get; init; }
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

public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody
{
    public required string Message { get; init; }
    public required string Type { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }

    /// <summary>llama-server's extension on context errors: the prompt's token count…</summary>
    public int? NPromptTokens { get; init; }

    /// <summary>…and the context one request may use.</summary>
    public int? NCtx { get; init; }
}

public static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
}

public sealed class MessageContentConverter : JsonConverter<MessageContent>
{
    public override MessageContent? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return new MessageContent(reader.GetString()!);
            case JsonTokenType.StartArray:
                var text = new System.Text.StringBuilder();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new JsonException("Each content part must be an object such as {\"type\":\"text\",\"text\":\"...\"}.");
                    }

                    string? type = null;
                    string? partText = null;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var name = reader.GetString();
                        reader.Read();
                        if (name == "type" && reader.TokenType == JsonTokenType.String)
                        {
                            type = reader.GetString();
                        }
                        else if (name == "text" && reader.TokenType == JsonTokenType.String)
                        {
                            partText = reader.GetString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }

                    if (type != "text")
                    {
                        throw new JsonException($"Content part type '{type}' is not supported; only \"text\" parts are.");
                    }

                    text.Append(partText);
                }

                return new MessageContent(text.ToString());
            default:
                throw new JsonException("Message content must be a string or a list of text parts.");
        }
    }

    public override void Write(Utf8JsonWriter writer, MessageContent value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Text);
}

/// <summary>Reads OpenAI's "a string or a list of strings" fields (stop, prompt, input); writes the list.</summary>
public abstract class StringOrListConverter<T>(Func<IReadOnlyList<string>, T> create, Func<T, IReadOnlyList<string>> values, string itemError) : JsonConverter<T>
    where T : class
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return create([reader.GetString()!]);
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new JsonException(itemError);
                    }

                    items.Add(reader.GetString()!);
                }

                return create(items);
            default:
                throw new JsonException("Must be a string or a list of strings.");
        }
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var item in values(value))
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}

public sealed class StopSequencesConverter() : StringOrListConverter<StopSequences>(
    items => new StopSequences(items), stop => stop.Values, "Each stop sequence must be a string.");

public sealed class PromptTextConverter() : StringOrListConverter<PromptText>(
    items => new PromptText(items), prompt => prompt.Values, "Each item must be a string (token arrays are not supported).");

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(EmbeddingRequest))]
[JsonSerializable(typeof(EmbeddingResponse))]
public sealed partial class OpenAiJsonContext : JsonSerializerContext;
