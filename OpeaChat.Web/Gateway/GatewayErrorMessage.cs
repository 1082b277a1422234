using System.Text;
using System.Text.Json;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// Reads the human-readable message out of an error body from the gateway: FastAPI's <c>{"detail":"..."}</c>,
/// its validation form <c>{"detail":[{"loc":[...],"msg":"..."}]}</c>, and, to be forgiving, OpenAI's
/// <c>{"error":{"message":"..."}}</c>, <c>{"message":"..."}</c> or a short plain-text body.
/// </summary>
public static class GatewayErrorMessage
{
    private const int MaxPlainTextLength = 500;

    /// <summary>The message in <paramref name="body"/>, or null when it holds none.</summary>
    public static string? Read(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        var trimmed = body.Trim();
        if (trimmed[0] is '{' or '[')
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                return FromJson(document.RootElement);
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through to the plain-text rule.
            }
        }

        return trimmed.Length <= MaxPlainTextLength && !trimmed.StartsWith('<') ? trimmed : null;
    }

    /// <summary>OpenAI's machine-readable <c>error.code</c> (for example <c>model_loading</c>), or null.</summary>
    public static string? ReadCode(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (root.TryGetProperty("detail", out var detail))
        {
            return Describe(detail);
        }

        if (root.TryGetProperty("error", out var error))
        {
            return error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message)
                ? NonEmpty(message)
                : Describe(error);
        }

        return root.TryGetProperty("message", out var text) ? NonEmpty(text) : null;
    }

    private static string? Describe(JsonElement detail) => detail.ValueKind switch
    {
        JsonValueKind.String => NonEmpty(detail),
        JsonValueKind.Array => JoinValidationErrors(detail),
        JsonValueKind.Object => DescribeValidationError(detail),
        _ => null,
    };

    private static string? JoinValidationErrors(JsonElement errors)
    {
        var parts = errors.EnumerateArray()
            .Select(item => item.ValueKind == JsonValueKind.Object ? DescribeValidationError(item) : NonEmpty(item))
            .OfType<string>()
            .ToList();
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>FastAPI: <c>{"loc":["body","messages",0,"content"],"msg":"Field required"}</c> → "messages.0.content: Field required".</summary>
    private static string? DescribeValidationError(JsonElement error)
    {
        var message = error.TryGetProperty("msg", out var msg) ? NonEmpty(msg)
            : error.TryGetProperty("message", out var alt) ? NonEmpty(alt)
            : null;
        if (message is null)
        {
            return null;
        }

        if (!error.TryGetProperty("loc", out var loc) || loc.ValueKind != JsonValueKind.Array)
        {
            return message;
        }

        var location = new StringBuilder();
        foreach (var part in loc.EnumerateArray())
        {
            var text = part.ValueKind == JsonValueKind.String ? part.GetString() : part.GetRawText();
            if (location.Length == 0 && text == "body")
            {
                continue; // "body" is where every request field lives; it says nothing to a person.
            }

            if (location.Length > 0)
            {
                location.Append('.');
            }

            location.Append(text);
        }

        return location.Length == 0 ? message : $"{location}: {message}";
    }

    private static string? NonEmpty(JsonElement element)
    {
        var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }
}
