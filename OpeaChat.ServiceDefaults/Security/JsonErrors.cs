using System.Text.Json;
using System.Text.RegularExpressions;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>What went wrong in a JSON body, in the API's terms.</summary>
/// <param name="Field">The field as a JSON path without the root (<c>messages[0].content</c>); null for the whole body.</param>
/// <param name="Message">A sentence that never names a .NET type.</param>
/// <param name="IsSyntax">The body is not JSON at all (rather than JSON of the wrong shape).</param>
public sealed record JsonProblem(string? Field, string Message, bool IsSyntax);

/// <summary>
/// Turns System.Text.Json's exceptions into messages for API callers: its own wording names internal types
/// ("could not be converted to OpeaChat.…"), which says nothing to a caller and tells an attacker the code's layout.
/// </summary>
public static partial class JsonErrors
{
    public static JsonProblem Describe(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var field = exception.Path is null or "$" ? null
            : exception.Path.StartsWith("$.", StringComparison.Ordinal) ? exception.Path[2..] : exception.Path.TrimStart('$');
        var text = FirstSentence(exception.Message);

        // A syntax error comes wrapped around the reader's own JsonException; its text names no type.
        if (exception.InnerException is JsonException)
        {
            return new JsonProblem(null, $"The request body is not valid JSON: {text}", IsSyntax: true);
        }

        if (MissingRequired().Match(text) is { Success: true } missing)
        {
            var names = missing.Groups["names"].Value;
            var first = names.Split(',')[0].Trim().Trim('\'');
            return new JsonProblem(Join(field, first), $"'{Join(field, first)}' is required (missing: {names}).", IsSyntax: false);
        }

        if (NamesType().IsMatch(text) || text.Contains("could not be converted", StringComparison.OrdinalIgnoreCase))
        {
            text = field is null
                ? "The request body has the wrong JSON type: it must be a JSON object (see the API documentation)."
                : $"'{field}' has the wrong JSON type (see the API documentation for what it takes).";
        }

        return new JsonProblem(field, text, IsSyntax: false);
    }

    private static string Join(string? parent, string name) => parent is null ? name : $"{parent}.{name}";

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    [GeneratedRegex(@"missing required properties,? including:? (?<names>.+?)\.?$", RegexOptions.CultureInvariant)]
    private static partial Regex MissingRequired();

    /// <summary>A dotted name of a .NET type or namespace (System.String, OpeaChat.Contracts.X, List`1).</summary>
    [GeneratedRegex(@"\b(System|OpeaChat|Microsoft)\.[A-Za-z]|`\d", RegexOptions.CultureInvariant)]
    private static partial Regex NamesType();
}
