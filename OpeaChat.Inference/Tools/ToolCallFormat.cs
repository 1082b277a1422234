using System.Text;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Inference.Tools;

/// <summary>
/// How a model family is shown tools and how it writes calls. llama.cpp applies chat templates by recognising them,
/// not by running their Jinja, so the tool parts of a template are rendered here in that family's own markup, found
/// from the template's text: Hermes (Qwen 2.5/3, Hermes 2/3: <c>&lt;tool_call&gt;</c>), Llama 3.x (JSON calls with
/// <c>parameters</c>, results in the <c>ipython</c> role), Mistral (<c>[TOOL_CALLS]</c>). Any other model gets the
/// generic format: Hermes markup explained in the system message, inside the model's own template.
/// </summary>
/// <remarks>
/// A reply holding calls is always <c>prefix, call-open, {"name": …, "&lt;key&gt;": {…}}, call-close[, separator, …], suffix</c>
/// with the fixed texts below; the grammar (<see cref="ToolCallGrammar"/>) and the parser (<see cref="ToolCallParser"/>)
/// both read them from here, so what is enforced is exactly what is parsed.
/// </remarks>
public abstract class ToolCallFormat
{
    public static readonly ToolCallFormat Hermes = new HermesFormat("hermes", generic: false);
    public static readonly ToolCallFormat Generic = new HermesFormat("generic", generic: true);
    public static readonly ToolCallFormat Llama3 = new Llama3Format();
    public static readonly ToolCallFormat Mistral = new MistralFormat();

    // Relaxed escaping: the model reads these texts, and \u0027 for an apostrophe is noise to it.
    private static readonly JsonSerializerOptions s_compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions s_indented = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    public abstract string Name { get; }

    /// <summary>Text before the first call (Mistral's list opener), or empty.</summary>
    public virtual string Prefix => string.Empty;

    /// <summary>Text around each call.</summary>
    public virtual string CallOpen => string.Empty;
    public virtual string CallClose => string.Empty;

    /// <summary>Between two calls; null when the family writes one call per reply.</summary>
    public abstract string? Separator { get; }

    /// <summary>Text after the last call, or empty.</summary>
    public virtual string Suffix => string.Empty;

    /// <summary>The key of a call's arguments object.</summary>
    public virtual string ArgumentsKey => "arguments";

    /// <summary>The text that starts the calls part of a reply (a special token in the families trained on it).</summary>
    public abstract string Trigger { get; }

    /// <summary>A trigger that only counts at the very start of the reply (Llama 3's bare JSON call).</summary>
    public bool TriggerOnlyAtStart => Prefix.Length == 0 && CallOpen.Length == 0;

    /// <summary>The exact text a call's object begins with, up to its name's opening quote.</summary>
    public static string CallHead => "{\"name\": \"";

    /// <summary>The exact text between a call's name and its arguments.</summary>
    public string ArgumentsHead => $"\", \"{ArgumentsKey}\": ";

    /// <summary>Picks the format from the GGUF's chat template text (null or empty: none).</summary>
    public static ToolCallFormat Detect(string? template)
    {
        if (string.IsNullOrEmpty(template))
        {
            return Generic;
        }

        if (template.Contains("<tool_call>", StringComparison.Ordinal))
        {
            return Hermes;
        }

        if (template.Contains("[TOOL_CALLS]", StringComparison.Ordinal))
        {
            return Mistral;
        }

        return template.Contains("<|start_header_id|>", StringComparison.Ordinal) && template.Contains("ipython", StringComparison.Ordinal)
            ? Llama3
            : Generic;
    }

    /// <summary>One call as this family writes it, for the history.</summary>
    public string WriteCall(string name, string arguments) =>
        $"{CallOpen}{CallHead}{name}{ArgumentsHead}{NormalizeArguments(arguments)}}}{CallClose}";

    /// <summary>
    /// The messages as the template should get them: tools described where the family expects them, calls and
    /// results in its markup. Null when the family's prompt is rendered whole by <see cref="RenderPrompt"/>.
    /// </summary>
    public abstract IReadOnlyList<(string Role, string Content)>? RenderMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools);

    /// <summary>The whole prompt, for families whose tool markup the template cannot carry (Mistral).</summary>
    public virtual string? RenderPrompt(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools) => null;

    protected static string Text(ChatMessage message) => message.Content?.Text ?? string.Empty;

    /// <summary>A tool as OpenAI describes it, for the model to read.</summary>
    protected static string ToolJson(ChatTool tool, bool indented = false)
    {
        var function = tool.Function!;
        var node = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "function",
            ["function"] = new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = function.Name,
                ["description"] = function.Description ?? string.Empty,
                ["parameters"] = System.Text.Json.Nodes.JsonNode.Parse(ToolCallGrammar.ParametersOf(function).GetRawText()),
            },
        };
        return node.ToJsonString(indented ? s_indented : s_compact);
    }

    /// <summary>Arguments as compact JSON when they parse (clients send them as text), else as they came.</summary>
    protected static string NormalizeArguments(string? arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            return "{}";
        }

        try
        {
            using var document = JsonDocument.Parse(arguments);
            return Write(document.RootElement.WriteTo);
        }
        catch (JsonException)
        {
            return arguments;
        }
    }

    /// <summary>A JSON string literal of <paramref name="text"/>.</summary>
    protected static string JsonString(string text) => Write(writer => writer.WriteStringValue(text));

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = s_compact.Encoder }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private sealed class HermesFormat(string name, bool generic) : ToolCallFormat
    {
        public override string Name => name;
        public override string CallOpen => "<tool_call>\n";
        public override string Trigger => "<tool_call>";
        public override string CallClose => "\n</tool_call>";
        public override string? Separator => "\n";

        public override IReadOnlyList<(string Role, string Content)> RenderMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools)
        {
            var rendered = new List<(string Role, string Content)>();
            var start = 0;
            if (tools is { Count: > 0 })
            {
                var system = messages.Count > 0 && messages[0].Role is "system" or "developer" ? Text(messages[0]) : null;
                start = system is null ? 0 : 1;
                rendered.Add(("system", (system is null ? string.Empty : system + "\n\n") + ToolsBlock(tools)));
            }

            for (var i = start; i < messages.Count; i++)
            {
                var message = messages[i];
                if (message.Role == "tool")
                {
                    // Consecutive results go in one user turn, as Qwen's template writes them.
                    var results = new StringBuilder();
                    for (; i < messages.Count && messages[i].Role == "tool"; i++)
                    {
                        results.Append(results.Length > 0 ? "\n" : string.Empty).Append("<tool_response>\n").Append(Text(messages[i])).Append("\n</tool_response>");
                    }

                    i--;
                    rendered.Add(("user", results.ToString()));
                }
                else if (message.Role == "assistant" && message.ToolCalls is { Count: > 0 } calls)
                {
                    var content = new StringBuilder(Text(message));
                    foreach (var call in calls)
                    {
                        content.Append(content.Length > 0 ? "\n" : string.Empty).Append(WriteCall(call.Function!.Name!, call.Function.Arguments!));
                    }

                    rendered.Add(("assistant", content.ToString()));
                }
                else
                {
                    rendered.Add((message.Role == "developer" ? "system" : message.Role!, Text(message)));
                }
            }

            return rendered;
        }

        private string ToolsBlock(IReadOnlyList<ChatTool> tools)
        {
            var text = new StringBuilder();
            text.Append("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n")
                .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
            foreach (var tool in tools)
            {
                text.Append('\n').Append(ToolJson(tool));
            }

            text.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n")
                .Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
            if (generic)
            {
                // A model not trained on this markup needs the rest said plainly.
                text.Append("\n\nIf no function is needed, answer in plain text. Results of calls come back inside <tool_response></tool_response> tags.");
            }

            return text.ToString();
        }
    }

    private sealed class Llama3Format : ToolCallFormat
    {
        public override string Name => "llama3";
        public override string? Separator => null;
        public override string ArgumentsKey => "parameters";
        public override string Trigger => "{\"name\"";

        public override IReadOnlyList<(string Role, string Content)> RenderMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools)
        {
            var rendered = new List<(string Role, string Content)>();
            var toolsShown = tools is not { Count: > 0 };
            foreach (var message in messages)
            {
                if (message.Role == "user" && !toolsShown)
                {
                    // Llama 3.1's template puts the functions in the first user message (tools_in_user_message).
                    toolsShown = true;
                    var text = new StringBuilder("Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n")
                        .Append("Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n");
                    foreach (var tool in tools!)
                    {
                        text.Append(ToolJson(tool, indented: true)).Append("\n\n");
                    }

                    rendered.Add(("user", text.Append(Text(message)).ToString()));
                }
                else if (message.Role == "assistant" && message.ToolCalls is { Count: > 0 } calls)
                {
                    rendered.Add(("assistant", string.Join("\n", calls.Select(call => WriteCall(call.Function!.Name!, call.Function.Arguments!)))));
                }
                else
                {
                    rendered.Add((message.Role switch { "tool" => "ipython", "developer" => "system", _ => message.Role! }, Text(message)));
                }
            }

            return rendered;
        }
    }

    private sealed class MistralFormat : ToolCallFormat
    {
        public override string Name => "mistral";
        public override string Prefix => "[TOOL_CALLS][";
        public override string Trigger => "[TOOL_CALLS]";
        public override string? Separator => ", ";
        public override string Suffix => "]";

        public override IReadOnlyList<(string Role, string Content)>? RenderMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools) => null;

        public override string RenderPrompt(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools)
        {
            // Mistral's v3 layout: the tools just before the last user turn, the system text inside it.
            var system = string.Join("\n\n", messages.Where(message => message.Role is "system" or "developer").Select(Text));
            var lastUser = messages.Select((message, index) => (message, index)).LastOrDefault(pair => pair.message.Role == "user").index;
            var prompt = new StringBuilder();
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                switch (message.Role)
                {
                    case "user":
                        if (i == lastUser && tools is { Count: > 0 })
                        {
                            prompt.Append("[AVAILABLE_TOOLS][").AppendJoin(", ", tools.Select(tool => ToolJson(tool))).Append("][/AVAILABLE_TOOLS]");
                        }

                        prompt.Append("[INST]").Append(i == lastUser && system.Length > 0 ? system + "\n\n" : string.Empty).Append(Text(message)).Append("[/INST]");
                        break;
                    case "assistant" when message.ToolCalls is { Count: > 0 } calls:
                        prompt.Append(Prefix)
                            .AppendJoin(Separator, calls.Select(call => $"{CallHead}{call.Function!.Name}{ArgumentsHead}{NormalizeArguments(call.Function.Arguments)}, \"id\": \"{call.Id}\"}}"))
                            .Append(Suffix).Append("</s>");
                        break;
                    case "assistant":
                        prompt.Append(Text(message)).Append("</s>");
                        break;
                    case "tool":
                        prompt.Append("[TOOL_RESULTS]{\"content\": ").Append(JsonString(Text(message)))
                            .Append(", \"call_id\": \"").Append(message.ToolCallId).Append("\"}[/TOOL_RESULTS]");
                        break;
                }
            }

            return prompt.ToString();
        }
    }
}
