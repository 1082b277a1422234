using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OpeaChat.Inference.Chat;

/// <summary>The grammar built from a JSON Schema, or why the schema cannot be enforced (with the schema path).</summary>
public sealed record JsonSchemaGrammarResult(string? Gbnf, string? Error);

/// <summary>
/// Turns a JSON Schema (<c>response_format: {"type":"json_schema"}</c>) into a GBNF grammar that only admits JSON
/// valid against it. Every keyword is either enforced by the grammar, harmless to what the grammar produces, or refused
/// with an error naming it and its schema path: a constraint is never silently dropped.
/// </summary>
public static class JsonSchemaGrammar
{
    /// <summary>Largest <c>maxItems</c>/<c>minItems</c>: each allowed item is a rule expansion in the grammar.</summary>
    public const int MaxItemsLimit = 64;

    /// <summary>Largest <c>maxLength</c>/<c>minLength</c>: each allowed character is a rule expansion in the grammar.</summary>
    public const int MaxLengthLimit = 512;

    private const int CacheCapacity = 256;

    // Schemas repeat request after request (one client, one schema), and building is a walk over the whole schema.
    private static readonly ConcurrentDictionary<string, JsonSchemaGrammarResult> s_cache = new(StringComparer.Ordinal);

    // Keywords that describe without constraining, or that only permit more than the grammar ever produces.
    private static readonly HashSet<string> s_ignorable =
    [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly",
        "additionalProperties", "unevaluatedProperties",
    ];

    private static readonly HashSet<string> s_enforced =
    [
        "type", "properties", "required", "items", "minItems", "maxItems", "minLength", "maxLength", "enum", "const",
        "anyOf", "oneOf", "$ref", "$defs", "definitions",
    ];

    private static readonly string[] s_alternatives = ["anyOf", "oneOf"];
    private static readonly string[] s_types = ["object", "array", "string", "number", "integer", "boolean", "null"];

    /// <summary>The grammar for the schema, from the cache when this exact schema text was converted before.</summary>
    public static JsonSchemaGrammarResult FromSchema(JsonElement schema)
    {
        var key = schema.GetRawText();
        if (s_cache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var result = Convert(schema);
        if (s_cache.Count >= CacheCapacity)
        {
            s_cache.Clear(); // Bounded: a client sending ever-new schemas cannot grow the cache without limit.
        }

        s_cache.TryAdd(key, result);
        return result;
    }

    /// <summary>Converts without the cache.</summary>
    public static JsonSchemaGrammarResult Convert(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return new JsonSchemaGrammarResult(null, $"The schema must be a JSON object; got {schema.ValueKind.ToString().ToLowerInvariant()}.");
        }

        try
        {
            var builder = new Builder(schema);
            var root = builder.Visit(schema, "#", "root");
            return new JsonSchemaGrammarResult(builder.Render(root), null);
        }
        catch (UnsupportedSchemaException unsupported)
        {
            return new JsonSchemaGrammarResult(null, unsupported.Message);
        }
    }

    /// <summary>
    /// One grammar over several schemas (a tool set's parameters): each schema becomes an expression with its
    /// <c>$ref</c>s resolved inside it, and <paramref name="root"/> joins the expressions into the start rule (it may use
    /// the <c>space</c> rule). On a schema that cannot be enforced: the error and that schema's index.
    /// </summary>
    public static (string? Gbnf, string? Error, int FailedIndex) Compose(IReadOnlyList<JsonElement> schemas, Func<IReadOnlyList<string>, string> root)
    {
        var builder = new Builder(default);
        var expressions = new List<string>(schemas.Count);
        for (var i = 0; i < schemas.Count; i++)
        {
            var schema = schemas[i];
            if (schema.ValueKind != JsonValueKind.Object)
            {
                return (null, $"The schema must be a JSON object; got {schema.ValueKind.ToString().ToLowerInvariant()}.", i);
            }

            try
            {
                builder.StartDocument(schema);
                expressions.Add(builder.Visit(schema, "#", string.Create(CultureInfo.InvariantCulture, $"tool{i}-args")));
            }
            catch (UnsupportedSchemaException unsupported)
            {
                return (null, unsupported.Message, i);
            }
        }

        builder.UsePrimitive("space");
        return (builder.Render(root(expressions)), null, -1);
    }

    /// <summary>A GBNF string literal matching exactly <paramref name="text"/>.</summary>
    public static string GbnfLiteral(string text) => Builder.Literal(text);

    private sealed class UnsupportedSchemaException(string path, string message) : Exception($"{path}: {message}");

    private sealed class Builder(JsonElement document)
    {
        private JsonElement _document = document;

        /// <summary>Resolves <c>$ref</c>s in <paramref name="schema"/> from now on; rule names stay unique across documents.</summary>
        public void StartDocument(JsonElement schema)
        {
            _document = schema;
            _refRules.Clear();
        }

        public void UsePrimitive(string name) => Primitive(name);

        private readonly List<(string Name, string Body)> _rules = [];
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _refRules = new(StringComparer.Ordinal);
        private readonly Dictionary<(int, int?), string> _stringRules = [];
        private readonly SortedSet<string> _primitives = new(StringComparer.Ordinal);

        // Shared pieces, emitted only when used. Whitespace between tokens is one optional run of bounded length, so a
        // small model cannot spend its whole budget on spaces.
        private static readonly Dictionary<string, string> s_primitiveBodies = new(StringComparer.Ordinal)
        {
            ["space"] = "( \" \" | \"\\n\" [ \\t]{0,8} )?",
            ["char"] = "[^\"\\\\\\x00-\\x1F\\x7F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4} )",
            ["string"] = "\"\\\"\" char* \"\\\"\" space",
            ["integer"] = "\"-\"? ( \"0\" | [1-9] [0-9]{0,15} ) space",
            ["number"] = "\"-\"? ( \"0\" | [1-9] [0-9]{0,15} ) ( \".\" [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )? space",
            ["boolean"] = "( \"true\" | \"false\" ) space",
            ["null"] = "\"null\" space",
            ["value"] = "object | array | string | number | boolean | null",
            ["object"] = "\"{\" space ( string \":\" space value ( \",\" space string \":\" space value )* )? \"}\" space",
            ["array"] = "\"[\" space ( value ( \",\" space value )* )? \"]\" space",
        };

        private static readonly Dictionary<string, string[]> s_primitiveUses = new(StringComparer.Ordinal)
        {
            ["string"] = ["char", "space"],
            ["integer"] = ["space"],
            ["number"] = ["space"],
            ["boolean"] = ["space"],
            ["null"] = ["space"],
            ["value"] = ["object", "array", "string", "number", "boolean", "null"],
            ["object"] = ["space", "string", "value"],
            ["array"] = ["space", "value"],
        };

        public string Render(string root)
        {
            var text = new StringBuilder();
            text.Append("root ::= ").Append(root).Append('\n');
            foreach (var (name, body) in _rules)
            {
                text.Append(name).Append(" ::= ").Append(body).Append('\n');
            }

            foreach (var name in _primitives)
            {
                text.Append(name).Append(" ::= ").Append(s_primitiveBodies[name]).Append('\n');
            }

            return text.ToString();
        }

        /// <summary>A GBNF expression for values valid against <paramref name="schema"/>.</summary>
        public string Visit(JsonElement schema, string path, string hint)
        {
            if (schema.ValueKind == JsonValueKind.True)
            {
                return Primitive("value");
            }

            if (schema.ValueKind != JsonValueKind.Object)
            {
                throw new UnsupportedSchemaException(path, schema.ValueKind == JsonValueKind.False
                    ? "the schema false admits no value."
                    : $"a schema must be an object or a boolean; got {schema.ValueKind.ToString().ToLowerInvariant()}.");
            }

            foreach (var property in schema.EnumerateObject())
            {
                if (!s_enforced.Contains(property.Name) && !s_ignorable.Contains(property.Name))
                {
                    throw new UnsupportedSchemaException($"{path}/{property.Name}", $"the keyword '{property.Name}' is not supported: structured outputs cannot enforce it.");
                }
            }

            if (schema.TryGetProperty("$ref", out var reference))
            {
                RefuseSiblings(schema, path, "$ref");
                return Ref(reference, $"{path}/$ref");
            }

            if (schema.TryGetProperty("const", out var constant))
            {
                RefuseSiblings(schema, path, "const");
                return $"{Literal(constant.GetRawText())} {Primitive("space")}";
            }

            if (schema.TryGetProperty("enum", out var values))
            {
                RefuseSiblings(schema, path, "enum");
                if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                {
                    throw new UnsupportedSchemaException($"{path}/enum", "'enum' must be a non-empty array.");
                }

                var literals = values.EnumerateArray().Select(value => Literal(value.GetRawText())).Distinct(StringComparer.Ordinal);
                return $"( {string.Join(" | ", literals)} ) {Primitive("space")}";
            }

            foreach (var keyword in s_alternatives)
            {
                if (schema.TryGetProperty(keyword, out var branches))
                {
                    RefuseSiblings(schema, path, keyword);
                    if (branches.ValueKind != JsonValueKind.Array || branches.GetArrayLength() == 0)
                    {
                        throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' must be a non-empty array of schemas.");
                    }

                    var alternatives = branches.EnumerateArray().Select((branch, i) => Visit(branch, $"{path}/{keyword}/{i}", $"{hint}-{i}")).ToList();
                    return AddRule(hint, string.Join(" | ", alternatives));
                }
            }

            if (!schema.TryGetProperty("type", out var type))
            {
                // No type: what the other keywords shape. Properties mean an object, items an array; else any JSON value.
                if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _))
                {
                    return Typed(schema, "object", path, hint);
                }

                if (schema.TryGetProperty("items", out _) || schema.TryGetProperty("minItems", out _) || schema.TryGetProperty("maxItems", out _))
                {
                    return Typed(schema, "array", path, hint);
                }

                if (schema.TryGetProperty("minLength", out _) || schema.TryGetProperty("maxLength", out _))
                {
                    return Typed(schema, "string", path, hint);
                }

                return Primitive("value");
            }

            if (type.ValueKind == JsonValueKind.String)
            {
                return Typed(schema, type.GetString()!, path, hint);
            }

            if (type.ValueKind == JsonValueKind.Array && type.GetArrayLength() > 0 && type.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String))
            {
                var alternatives = type.EnumerateArray().Select(item => item.GetString()!).Distinct(StringComparer.Ordinal)
                    .Select(name => Typed(schema, name, path, $"{hint}-{name}"));
                return AddRule(hint, string.Join(" | ", alternatives));
            }

            throw new UnsupportedSchemaException($"{path}/type", "'type' must be a type name or a non-empty array of type names.");
        }

        private string Typed(JsonElement schema, string type, string path, string hint) =>
            type switch
            {
                "object" => ObjectRule(schema, path, hint),
                "array" => ArrayRule(schema, path, hint),
                "string" => StringRule(schema, path),
                "number" or "integer" or "boolean" or "null" => Primitive(type),
                _ => throw new UnsupportedSchemaException($"{path}/type", $"unknown type '{type}'; use one of {string.Join(", ", s_types)}."),
            };

        private string ObjectRule(JsonElement schema, string path, string hint)
        {
            var properties = new List<(string Name, string Value, bool Required)>();
            var required = new HashSet<string>(StringComparer.Ordinal);
            if (schema.TryGetProperty("required", out var requiredList))
            {
                if (requiredList.ValueKind != JsonValueKind.Array || requiredList.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
                {
                    throw new UnsupportedSchemaException($"{path}/required", "'required' must be an array of property names.");
                }

                required.UnionWith(requiredList.EnumerateArray().Select(item => item.GetString()!));
            }

            if (schema.TryGetProperty("properties", out var declared))
            {
                if (declared.ValueKind != JsonValueKind.Object)
                {
                    throw new UnsupportedSchemaException($"{path}/properties", "'properties' must be an object of schemas.");
                }

                foreach (var property in declared.EnumerateObject())
                {
                    var value = Visit(property.Value, $"{path}/properties/{property.Name}", $"{hint}-{property.Name}");
                    properties.Add((property.Name, value, required.Contains(property.Name)));
                }
            }

            var missing = required.FirstOrDefault(name => properties.All(property => property.Name != name));
            if (missing is not null)
            {
                // Only declared properties are generated, so an undeclared required one could never appear.
                throw new UnsupportedSchemaException($"{path}/required", $"'{missing}' is required but not declared in 'properties'.");
            }

            var space = Primitive("space");
            var members = Members(properties, hint, space);
            return AddRule(hint, members is null ? $"\"{{\" {space} \"}}\" {space}" : $"\"{{\" {space} {members} \"}}\" {space}");
        }

        /// <summary>
        /// The members in declaration order: required ones always, optional ones may be left out. A rule per position and
        /// "has a member been written yet" keeps the commas right without listing every subset.
        /// </summary>
        private string? Members(List<(string Name, string Value, bool Required)> properties, string hint, string space)
        {
            var tails = new Dictionary<(int, bool), string?>();

            string? Tail(int index, bool afterFirst)
            {
                if (index == properties.Count)
                {
                    return null;
                }

                if (tails.TryGetValue((index, afterFirst), out var known))
                {
                    return known;
                }

                var (name, value, isRequired) = properties[index];
                var member = $"{(afterFirst ? $"\",\" {space} " : string.Empty)}{Literal($"\"{JsonEncodedText.Encode(name)}\"")} {space} \":\" {space} {value}";
                var withIt = Tail(index + 1, afterFirst: true) is { } next ? $"{member} {next}" : member;
                string body;
                if (isRequired)
                {
                    body = withIt;
                }
                else
                {
                    body = Tail(index + 1, afterFirst) is { } without ? $"( {withIt} ) | {without}" : $"( {withIt} )?";
                }

                var rule = AddRule($"{hint}-m{index}{(afterFirst ? "n" : "f")}", body);
                tails[(index, afterFirst)] = rule;
                return rule;
            }

            return Tail(0, afterFirst: false);
        }

        private string ArrayRule(JsonElement schema, string path, string hint)
        {
            var min = Bound(schema, "minItems", path, MaxItemsLimit) ?? 0;
            var max = Bound(schema, "maxItems", path, MaxItemsLimit);
            if (max < min)
            {
                throw new UnsupportedSchemaException($"{path}/maxItems", $"'maxItems' {max} is below 'minItems' {min}.");
            }

            var space = Primitive("space");
            if (max == 0)
            {
                return AddRule(hint, $"\"[\" {space} \"]\" {space}");
            }

            var item = schema.TryGetProperty("items", out var items) ? Visit(items, $"{path}/items", $"{hint}-item") : Primitive("value");
            var next = $"( \",\" {space} {item} )";
            var more = max switch
            {
                1 => string.Empty,
                { } upper => $" {next}{{{Math.Max(min - 1, 0)},{upper - 1}}}",
                null when min > 1 => $" {next}{{{min - 1},}}",
                null => $" {next}*",
            };
            var list = min == 0 ? $"( {item}{more} )?" : $"{item}{more}";
            return AddRule(hint, $"\"[\" {space} {list} \"]\" {space}");
        }

        private string StringRule(JsonElement schema, string path)
        {
            var min = Bound(schema, "minLength", path, MaxLengthLimit);
            var max = Bound(schema, "maxLength", path, MaxLengthLimit);
            if (min is null && max is null)
            {
                return Primitive("string");
            }

            if (max < (min ?? 0))
            {
                throw new UnsupportedSchemaException($"{path}/maxLength", $"'maxLength' {max} is below 'minLength' {min}.");
            }

            // One rule per pair of bounds: llama.cpp expands each bounded repetition into a rule per character.
            var key = (min ?? 0, max);
            if (!_stringRules.TryGetValue(key, out var rule))
            {
                var repeat = max is { } upper ? $"{{{key.Item1},{upper}}}" : $"{{{key.Item1},}}";
                Primitive("char");
                rule = AddRule($"string-{key.Item1}-{max?.ToString(CultureInfo.InvariantCulture) ?? "more"}", $"\"\\\"\" char{repeat} \"\\\"\" {Primitive("space")}");
                _stringRules[key] = rule;
            }

            return rule;
        }

        private static int? Bound(JsonElement schema, string keyword, string path, int limit)
        {
            if (!schema.TryGetProperty(keyword, out var value))
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var bound) || bound < 0)
            {
                throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' must be a non-negative integer.");
            }

            if (bound > limit)
            {
                throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' {bound} is over the supported limit of {limit}.");
            }

            return bound;
        }

        private string Ref(JsonElement reference, string path)
        {
            var target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : string.Empty;
            if (_refRules.TryGetValue(target, out var known))
            {
                return known;
            }

            string[] prefixes = ["#/$defs/", "#/definitions/"];
            var prefix = prefixes.FirstOrDefault(candidate => target.StartsWith(candidate, StringComparison.Ordinal));
            var name = prefix is null ? null : target[prefix.Length..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (prefix is null || name!.Length == 0 || name.Contains('/', StringComparison.Ordinal)
                || !_document.TryGetProperty(prefix[2..^1], out var definitions) || definitions.ValueKind != JsonValueKind.Object
                || !definitions.TryGetProperty(name, out var definition))
            {
                throw new UnsupportedSchemaException(path, $"'$ref' must point at a definition in this schema (#/$defs/Name or #/definitions/Name); '{target}' does not.");
            }

            // Named before it is visited, so a definition that refers to itself becomes a recursive rule, not a loop here.
            var rule = UniqueName($"def-{name}");
            _refRules[target] = rule;
            var body = Visit(definition, target, $"def-{name}-v");
            _rules.Add((rule, body));
            return rule;
        }

        private static void RefuseSiblings(JsonElement schema, string path, string keyword)
        {
            foreach (var property in schema.EnumerateObject())
            {
                if (property.Name != keyword && s_enforced.Contains(property.Name) && property.Name is not ("$defs" or "definitions"))
                {
                    throw new UnsupportedSchemaException($"{path}/{property.Name}", $"'{property.Name}' beside '{keyword}' is not supported; move it into the branches.");
                }
            }
        }

        private string Primitive(string name)
        {
            if (_primitives.Add(name) && s_primitiveUses.TryGetValue(name, out var uses))
            {
                foreach (var use in uses)
                {
                    Primitive(use);
                }
            }

            return name;
        }

        private string AddRule(string hint, string body)
        {
            var name = UniqueName(hint);
            _rules.Add((name, body));
            return name;
        }

        private string UniqueName(string hint)
        {
            var clean = new StringBuilder();
            foreach (var c in hint)
            {
                clean.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
            }

            var stem = $"r-{clean}";
            var name = stem;
            for (var i = 2; !_names.Add(name) || s_primitiveBodies.ContainsKey(name); i++)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{i}");
            }

            return name;
        }

        /// <summary>A GBNF string literal matching exactly <paramref name="text"/>.</summary>
        public static string Literal(string text)
        {
            var literal = new StringBuilder("\"");
            foreach (var c in text)
            {
                switch (c)
                {
                    case '"': literal.Append("\\\""); break;
                    case '\\': literal.Append("\\\\"); break;
                    case '\n': literal.Append("\\n"); break;
                    case '\r': literal.Append("\\r"); break;
                    case '\t': literal.Append("\\t"); break;
                    case < ' ' or '\x7F': literal.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}"); break;
                    default: literal.Append(c); break;
                }
            }

            return literal.Append('"').ToString();
        }
    }
}
