using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.OpenAi;

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
