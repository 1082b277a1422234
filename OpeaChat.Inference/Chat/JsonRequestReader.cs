using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;
using OpeaChat.ServiceDefaults.Security;

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
            // Never the serializer's own wording: it names .NET types.
            var problem = JsonErrors.Describe(exception);
            var param = problem.IsSyntax ? null : problem.Field;
            var message = param is null ? problem.Message : $"Invalid value for '{param}': {problem.Message}";
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
}
