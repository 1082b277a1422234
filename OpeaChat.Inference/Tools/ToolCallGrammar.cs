using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;

namespace OpeaChat.Inference.Tools;

/// <summary>
/// GBNF grammars that hold a reply to valid tool calls in a <see cref="ToolCallFormat"/>: the format's fixed texts, a
/// known function's name, and arguments valid against that function's JSON Schema (through <see cref="JsonSchemaGrammar"/>).
/// Built once per tool set, choice and format: agents send the same tools on every turn.
/// </summary>
public static class ToolCallGrammar
{
    /// <summary>Most calls in one reply when parallel calls are allowed: each one is a rule expansion.</summary>
    public const int MaxParallelCalls = 8;

    private const int CacheCapacity = 256;
    private static readonly ConcurrentDictionary<string, (string? Gbnf, string? Error, int FailedIndex)> s_cache = new(StringComparer.Ordinal);
    private static readonly JsonElement s_noParameters = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary>A function's parameters schema; a function without one takes an empty object.</summary>
    public static JsonElement ParametersOf(FunctionDefinition function) =>
        function.Parameters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } parameters ? parameters : s_noParameters;

    /// <summary>
    /// The grammar for a whole calls part, from its first character (for <c>required</c> or a named function). On a
    /// schema that cannot be enforced: the error and the tool's index.
    /// </summary>
    public static (string? Gbnf, string? Error, int FailedIndex) ForCalls(ToolCallFormat format, IReadOnlyList<ChatTool> tools, string? onlyFunction, bool parallel) =>
        Cached(format, tools, onlyFunction, parallel, remainder: null, () => Build(format, tools, onlyFunction, parallel, remainder: null));

    /// <summary>
    /// The grammar for what follows the format's <see cref="ToolCallFormat.Trigger"/> once a model has written it on
    /// its own (<c>auto</c>), given the <paramref name="remainder"/> the trigger's last token also held. Null when that
    /// remainder cannot begin a valid call: the text then stays text.
    /// </summary>
    public static string? AfterTrigger(ToolCallFormat format, IReadOnlyList<ChatTool> tools, bool parallel, string remainder) =>
        Cached(format, tools, null, parallel, remainder, () => Build(format, tools, null, parallel, remainder)).Gbnf;

    private static (string? Gbnf, string? Error, int FailedIndex) Cached(
        ToolCallFormat format, IReadOnlyList<ChatTool> tools, string? onlyFunction, bool parallel, string? remainder, Func<(string?, string?, int)> build)
    {
        var key = new StringBuilder(format.Name).Append('\u0001').Append(onlyFunction).Append('\u0001').Append(parallel).Append('\u0001').Append(remainder is null ? "whole" : $"after:{remainder}");
        foreach (var tool in tools)
        {
            key.Append('\u0001').Append(tool.Function?.Name).Append('\u0002').Append(tool.Function is { } function ? ParametersOf(function).GetRawText() : string.Empty);
        }

        var text = key.ToString();
        if (s_cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var result = build();
        if (s_cache.Count >= CacheCapacity)
        {
            s_cache.Clear(); // Bounded: ever-new tool sets cannot grow it without limit.
        }

        s_cache.TryAdd(text, result);
        return result;
    }

    private static (string? Gbnf, string? Error, int FailedIndex) Build(ToolCallFormat format, IReadOnlyList<ChatTool> tools, string? onlyFunction, bool parallel, string? remainder)
    {
        var chosen = tools.Select((tool, index) => (tool, index)).Where(pair => onlyFunction is null || pair.tool.Function!.Name == onlyFunction).ToList();
        var opening = format.Prefix + format.CallOpen + ToolCallFormat.CallHead;
        var fullNames = chosen.Select(pair => pair.tool.Function!.Name!).ToList();
        IReadOnlyList<string?> firstNames = fullNames;
        string lead;
        if (remainder is null)
        {
            lead = opening;
        }
        else
        {
            // The model wrote the trigger and maybe more in the same token; the grammar takes over right after it.
            var continuation = opening[format.Trigger.Length..];
            if (continuation.StartsWith(remainder, StringComparison.Ordinal))
            {
                lead = continuation[remainder.Length..];
            }
            else if (remainder.StartsWith(continuation, StringComparison.Ordinal))
            {
                var namePart = remainder[continuation.Length..];
                lead = string.Empty;
                // The rest of each name the model may still be writing; null for the names it has already left.
                firstNames = fullNames.Select(name => name.StartsWith(namePart, StringComparison.Ordinal) && name.Length > namePart.Length ? name[namePart.Length..] : null).ToList();
                if (firstNames.All(name => name is null))
                {
                    return (null, null, -1);
                }
            }
            else
            {
                return (null, null, -1);
            }
        }

        var schemas = chosen.Select(pair => ParametersOf(pair.tool.Function!)).ToList();
        var (gbnf, error, failed) = JsonSchemaGrammar.Compose(schemas, arguments =>
        {
            var fullCall = $"{JsonSchemaGrammar.GbnfLiteral(format.CallOpen + ToolCallFormat.CallHead)} {CallBody(format, fullNames, arguments)} {Literal(format.CallClose)}";
            var root = new StringBuilder();
            root.Append(Literal(lead)).Append(' ').Append(CallBody(format, firstNames, arguments)).Append(' ').Append(Literal(format.CallClose));
            if (parallel && format.Separator is { } separator)
            {
                root.Append(CultureInfo.InvariantCulture, $" ( {JsonSchemaGrammar.GbnfLiteral(separator)} {fullCall} ){{0,{MaxParallelCalls - 1}}}");
            }

            return root.Append(' ').Append(Literal(format.Suffix)).ToString();
        });
        return (gbnf, error, failed < 0 ? -1 : chosen[failed].index);
    }

    /// <summary>A call after its head: one of the (rests of the) names with that function's arguments, then the closing brace.</summary>
    private static string CallBody(ToolCallFormat format, IReadOnlyList<string?> names, IReadOnlyList<string> arguments)
    {
        var alternatives = names
            .Select((name, i) => name is null ? null : $"{JsonSchemaGrammar.GbnfLiteral(name + format.ArgumentsHead)} {arguments[i]}")
            .OfType<string>();
        return $"( {string.Join(" | ", alternatives)} ) space \"}}\"";
    }

    /// <summary>A literal, or nothing for an empty text (GBNF has no empty string literal worth emitting).</summary>
    private static string Literal(string text) => text.Length == 0 ? string.Empty : JsonSchemaGrammar.GbnfLiteral(text);
}
