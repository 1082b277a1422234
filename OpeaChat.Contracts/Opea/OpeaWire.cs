using System.Text.Json;
using System.Text.Json.Serialization;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Contracts.Opea;

// OPEA's ChatQnA megaservice contract (GenAIComps' ChatCompletionRequest / ChatCompletionResponse). Fields that OPEA
// clients send but this gateway does not use (context, meta, logit_bias, ...) are accepted and ignored.

public sealed record OpeaChatRequest : IRetrievalParameters
{
    /// <summary>A plain string (one user turn) or a list of {role, content}.</summary>
    public OpeaMessages? Messages { get; init; }
    public string? Model { get; init; }

    /// <summary>OPEA streams unless told otherwise.</summary>
    public bool? Stream { get; init; }
    public int? MaxTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? RepetitionPenalty { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? PresencePenalty { get; init; }
    public long? Seed { get; init; }
    public StopSequences? Stop { get; init; }

    /// <summary>OpeaChat's memory: continue this stored conversation (the history comes from it; the reply is saved to it).</summary>
    public Guid? ConversationId { get; init; }

    /// <summary>OpeaChat's prompts: a system prompt or prompt template by id, filled with <see cref="Variables"/>.</summary>
    public string? PromptId { get; init; }

    public Dictionary<string, string>? Variables { get; init; }

    /// <summary>Not OPEA's: llama-server's <c>ignore_eos</c>, passed on for benchmarks and tests that need replies of a fixed length.</summary>
    public bool? IgnoreEos { get; init; }

    /// <summary>Not OPEA's: llama-server's <c>cache_prompt</c>, passed on (false turns prefix reuse off for this request).</summary>
    public bool? CachePrompt { get; init; }

    // OPEA's retriever and reranker fields (see IRetrievalParameters for their meaning and defaults).
    public int? K { get; init; }
    public int? FetchK { get; init; }
    public string? SearchType { get; init; }
    public double? DistanceThreshold { get; init; }
    public double? ScoreThreshold { get; init; }
    public double? LambdaMult { get; init; }
    public int? TopN { get; init; }
    public string? IndexName { get; init; }
    public string? ChatTemplate { get; init; }

    /// <summary>Not OPEA's: false answers from the model alone (default true: retrieve when there are documents).</summary>
    public bool? UseDocuments { get; init; }
}

[JsonConverter(typeof(OpeaMessagesConverter))]
public sealed record OpeaMessages(IReadOnlyList<OpeaMessage> Items, bool WasPlainString);

public sealed record OpeaMessage(string? Role, string? Content);

public sealed record OpeaChatResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<OpeaChoice> Choices { get; init; }
    public required OpeaUsage Usage { get; init; }

    /// <summary>OpeaChat's: the chunks the answer was built from (OPEA's own clients ignore it).</summary>
    public IReadOnlyList<RetrievedSource>? Sources { get; init; }
}

public sealed record OpeaChoice
{
    public int Index { get; init; }
    public required OpeaResponseMessage Message { get; init; }
    public required string FinishReason { get; init; }
}

public sealed record OpeaResponseMessage(string Role, string Content);

public sealed record OpeaUsage
{
    public int PromptTokens { get; init; }
    public int TotalTokens { get; init; }
    public int CompletionTokens { get; init; }
}

/// <summary>FastAPI's error body, as OPEA's gateway sends it: <c>{"detail": "..."}</c>.</summary>
public sealed record OpeaErrorDetail(string Detail);

/// <summary>FastAPI's validation error body: <c>{"detail":[{"type","loc","msg"}]}</c>.</summary>
public sealed record OpeaValidationError(IReadOnlyList<OpeaValidationIssue> Detail);

public sealed record OpeaValidationIssue(string Type, IReadOnlyList<string> Loc, string Msg);

public sealed class OpeaMessagesConverter : JsonConverter<OpeaMessages>
{
    public override OpeaMessages? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return new OpeaMessages([new OpeaMessage("user", reader.GetString())], WasPlainString: true);
            case JsonTokenType.StartArray:
                var items = new List<OpeaMessage>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    // The path names the item (and below, its field): the serializer alone would say "$.messages".
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new JsonException("Each message must be an object with 'role' and 'content'.", $"$.messages[{items.Count}]", null, null);
                    }

                    string? role = null;
                    string? content = null;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var name = reader.GetString();
                        reader.Read();
                        if (name is "role" or "content" && reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                        {
                            throw new JsonException($"Message '{name}' must be a string.", $"$.messages[{items.Count}].{name}", null, null);
                        }

                        switch (name)
                        {
                            case "role":
                                role = reader.GetString();
                                break;
                            case "content":
                                content = reader.GetString();
                                break;
                            default:
                                reader.Skip();
                                break;
                        }
                    }

                    items.Add(new OpeaMessage(role, content));
                }

                return new OpeaMessages(items, WasPlainString: false);
            default:
                throw new JsonException("messages must be a string or a list of {role, content} objects.");
        }
    }

    public override void Write(Utf8JsonWriter writer, OpeaMessages value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var message in value.Items)
        {
            writer.WriteStartObject();
            writer.WriteString("role", message.Role);
            writer.WriteString("content", message.Content);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OpeaChatRequest))]
[JsonSerializable(typeof(OpeaChatResponse))]
[JsonSerializable(typeof(OpeaErrorDetail))]
[JsonSerializable(typeof(OpeaValidationError))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyList<RetrievedSource>))]
public sealed partial class OpeaJsonContext : JsonSerializerContext;
