using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.OpenAi;

// OpenAI's function calling: the tools a request offers, the calls an answer makes, and their streamed pieces.

/// <summary>A tool the model may call; only <c>function</c> tools exist.</summary>
public sealed record ChatTool
{
    public string? Type { get; init; }
    public FunctionDefinition? Function { get; init; }

    public static ChatTool ForFunction(string name, string? description, JsonElement? parameters) =>
        new() { Type = "function", Function = new FunctionDefinition { Name = name, Description = description, Parameters = parameters } };
}

public sealed record FunctionDefinition
{
    public string? Name { get; init; }
    public string? Description { get; init; }

    /// <summary>The arguments' JSON Schema, kept as raw JSON: it is shown to the model and turned into a grammar.</summary>
    public JsonElement? Parameters { get; init; }
    public bool? Strict { get; init; }
}

/// <summary>
/// OpenAI's <c>tool_choice</c>: <c>"auto"</c>, <c>"none"</c>, <c>"required"</c>, or
/// <c>{"type":"function","function":{"name":…}}</c> (then <see cref="Mode"/> is <c>function</c>).
/// </summary>
[JsonConverter(typeof(ToolChoiceConverter))]
public sealed record ToolChoice(string Mode, string? FunctionName = null)
{
    public const string Auto = "auto";
    public const string None = "none";
    public const string Required = "required";
    public const string Function = "function";
}

/// <summary>A call the assistant made: in an answer, and in the history sent back with the tool's result.</summary>
public sealed record ToolCall
{
    public string? Id { get; init; }
    public string? Type { get; init; } = "function";
    public FunctionCall? Function { get; init; }
}

public sealed record FunctionCall
{
    public string? Name { get; init; }

    /// <summary>The arguments as a JSON text, as OpenAI sends them.</summary>
    public string? Arguments { get; init; }
}

/// <summary>A streamed piece of a tool call: the first carries its id and name, the rest fragments of its arguments.</summary>
public sealed record ToolCallDelta
{
    public int Index { get; init; }
    public string? Id { get; init; }
    public string? Type { get; init; }
    public FunctionCall? Function { get; init; }
}

public sealed class ToolChoiceConverter : JsonConverter<ToolChoice>
{
    public override ToolChoice? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return new ToolChoice(reader.GetString()!);
            case JsonTokenType.StartObject:
                using (var document = JsonDocument.ParseValue(ref reader))
                {
                    var root = document.RootElement;
                    var type = root.TryGetProperty("type", out var typeValue) && typeValue.ValueKind == JsonValueKind.String ? typeValue.GetString() : null;
                    if (type != ToolChoice.Function)
                    {
                        throw new JsonException("An object tool_choice must be {\"type\":\"function\",\"function\":{\"name\":\"…\"}}.");
                    }

                    var name = root.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
                        && function.TryGetProperty("name", out var nameValue) && nameValue.ValueKind == JsonValueKind.String
                        ? nameValue.GetString()
                        : null;
                    return new ToolChoice(ToolChoice.Function, name ?? throw new JsonException("tool_choice.function.name is required."));
                }

            default:
                throw new JsonException("tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":\"…\"}}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, ToolChoice value, JsonSerializerOptions options)
    {
        if (value.Mode != ToolChoice.Function)
        {
            writer.WriteStringValue(value.Mode);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type", ToolChoice.Function);
        writer.WriteStartObject("function");
        writer.WriteString("name", value.FunctionName);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
