using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Chat;

/// <summary>
/// Reads a JSON body with source-generated metadata and turns every way it can be wrong (not JSON, wrong type,
/// too large) into an OpenAI error that names the field.
/// </summary>
public static class JsonRequestReader
{
    public static async Task<(T? Value, OpenAiErrorResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, long bodyLimit, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, cancellationToken);
            return value is null
                ? (null, OpenAiErrors.InvalidRequest("The request body must be a JSON object.", null, "invalid_json"))
                : (value, null);
        }
        catch (JsonException exception)
        {
            // A syntax error comes wrapped around the reader's own JsonException; a type error does not.
            var param = exception.InnerException is JsonException ? null : ParamFromPath(exception.Path);
            var message = param is null
                ? $"The request body is not valid JSON: {FirstSentence(exception.Message)}"
                : $"Invalid value for '{param}': {FirstSentence(exception.Message)}";
            return (null, OpenAiErrors.InvalidRequest(message, param, param is null ? "invalid_json" : "invalid_type"));
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, OpenAiErrors.TooLarge(bodyLimit));
        }
    }

    /// <summary>"$.messages[0].content" becomes "messages[0].content".</summary>
    public static string? ParamFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
