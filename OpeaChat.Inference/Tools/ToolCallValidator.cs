using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Tools;

/// <summary>Checks a request's tools, <c>tool_choice</c>, and the calls and results in its history, naming the field.</summary>
public static class ToolCallValidator
{
    /// <summary>OpenAI's limit on tools per request.</summary>
    public const int MaxTools = 128;

    public static OpenAiErrorResult? Validate(ChatCompletionRequest request)
    {
        if (request.Tools is { } tools && ValidateTools(tools) is { } toolsError)
        {
            return toolsError;
        }

        if (request.ToolChoice is { } choice)
        {
            if (choice.Mode is not (ToolChoice.Auto or ToolChoice.None or ToolChoice.Required or ToolChoice.Function))
            {
                return OpenAiErrors.InvalidRequest(
                    $"tool_choice must be \"auto\", \"none\", \"required\" or {{\"type\":\"function\",\"function\":{{\"name\":…}}}}; got '{choice.Mode}'.", "tool_choice", "invalid_value");
            }

            if (request.Tools is not { Count: > 0 })
            {
                return OpenAiErrors.InvalidRequest("tool_choice is only allowed when tools are given.", "tool_choice", "invalid_value");
            }

            if (choice.Mode == ToolChoice.Function && !request.Tools.Any(tool => tool.Function!.Name == choice.FunctionName))
            {
                return OpenAiErrors.InvalidRequest(
                    $"tool_choice names the function '{choice.FunctionName}', which is not among the tools.", "tool_choice.function.name", "invalid_value");
            }
        }

        if (ToolCallPlan.OfferedTools(request) is not null)
        {
            // One grammar holds a generation; calls and a response format or raw grammar would need two.
            if (request.ResponseFormat?.Type is "json_object" or "json_schema")
            {
                return OpenAiErrors.InvalidRequest("response_format cannot be combined with tools; send tool_choice \"none\" or leave out response_format.", "response_format", "unsupported_value");
            }

            if (request.Grammar is not null)
            {
                return OpenAiErrors.InvalidRequest("'grammar' cannot be combined with tools; the calls are held by their own grammar.", "grammar", "unsupported_value");
            }
        }

        return null;
    }

    /// <summary>Checks one history message's tool parts; <paramref name="messages"/> gives the calls a result answers.</summary>
    public static OpenAiErrorResult? ValidateMessage(IReadOnlyList<ChatMessage> messages, int i)
    {
        var message = messages[i];
        if (message.ToolCalls is { } calls)
        {
            if (message.Role != "assistant")
            {
                return OpenAiErrors.InvalidRequest($"messages[{i}].tool_calls is only allowed on assistant messages.", $"messages[{i}].tool_calls", "invalid_value");
            }

            for (var j = 0; j < calls.Count; j++)
            {
                var field = $"messages[{i}].tool_calls[{j}]";
                var call = calls[j];
                if (call is null || string.IsNullOrEmpty(call.Id))
                {
                    return OpenAiErrors.InvalidRequest($"{field}.id is required.", $"{field}.id", "missing_required_parameter");
                }

                if (call.Type is not (null or "function"))
                {
                    return OpenAiErrors.InvalidRequest($"{field}.type must be \"function\"; got '{call.Type}'.", $"{field}.type", "invalid_value");
                }

                if (call.Function is not { Name: { Length: > 0 } } function)
                {
                    return OpenAiErrors.InvalidRequest($"{field}.function.name is required.", $"{field}.function.name", "missing_required_parameter");
                }

                if (function.Arguments is null)
                {
                    return OpenAiErrors.InvalidRequest($"{field}.function.arguments is required: the call's arguments as a JSON text.", $"{field}.function.arguments", "missing_required_parameter");
                }
            }
        }

        if (message.Role != "tool")
        {
            return null;
        }

        if (string.IsNullOrEmpty(message.ToolCallId))
        {
            return OpenAiErrors.InvalidRequest($"messages[{i}].tool_call_id is required on a tool message: the id of the call it answers.", $"messages[{i}].tool_call_id", "missing_required_parameter");
        }

        // A result answers a call of the assistant message before its run of tool messages.
        var asked = i - 1;
        while (asked >= 0 && messages[asked]?.Role == "tool")
        {
            asked--;
        }

        var known = asked >= 0 && messages[asked] is { Role: "assistant", ToolCalls: { } previousCalls } && previousCalls.Any(call => call?.Id == message.ToolCallId);
        return known
            ? null
            : OpenAiErrors.InvalidRequest(
                $"messages[{i}].tool_call_id '{message.ToolCallId}' does not match any tool call of the assistant message before it.", $"messages[{i}].tool_call_id", "unknown_tool_call_id");
    }

    private static OpenAiErrorResult? ValidateTools(IReadOnlyList<ChatTool> tools)
    {
        if (tools.Count == 0)
        {
            return OpenAiErrors.InvalidRequest("'tools' must hold at least one tool; leave it out for none.", "tools", "empty_array");
        }

        if (tools.Count > MaxTools)
        {
            return OpenAiErrors.InvalidRequest($"At most {MaxTools} tools are allowed; got {tools.Count}.", "tools", "array_above_max_length");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i];
            if (tool is null)
            {
                return OpenAiErrors.InvalidRequest($"tools[{i}] must be an object {{\"type\":\"function\",\"function\":{{…}}}}.", $"tools[{i}]");
            }

            if (tool.Type != "function")
            {
                return OpenAiErrors.InvalidRequest($"tools[{i}].type must be \"function\"; got '{tool.Type}'.", $"tools[{i}].type", "invalid_value");
            }

            if (tool.Function is not { } function)
            {
                return OpenAiErrors.InvalidRequest($"tools[{i}].function is required.", $"tools[{i}].function", "missing_required_parameter");
            }

            if (!Chat.ChatCompletionValidator.IsOpenAiName(function.Name))
            {
                return OpenAiErrors.InvalidRequest($"tools[{i}].function.name must be 1 to 64 letters, digits, underscores or dashes; got '{function.Name}'.", $"tools[{i}].function.name", "invalid_value");
            }

            if (!names.Add(function.Name))
            {
                return OpenAiErrors.InvalidRequest($"tools[{i}].function.name '{function.Name}' is used by two tools.", $"tools[{i}].function.name", "invalid_value");
            }

            if (function.Parameters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } parameters && ValidateParameters(parameters, i) is { } parametersError)
            {
                return parametersError;
            }
        }

        return null;
    }

    private static OpenAiErrorResult? ValidateParameters(JsonElement parameters, int i)
    {
        var field = $"tools[{i}].function.parameters";
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return OpenAiErrors.InvalidRequest($"{field} must be a JSON Schema object.", field, "invalid_tool_schema");
        }

        if (!parameters.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "object")
        {
            return OpenAiErrors.InvalidRequest($"{field} must be a JSON Schema of type \"object\": a function's arguments are an object.", field, "invalid_tool_schema");
        }

        // The same cached conversion structured outputs use: the check costs nothing for a tool set sent again.
        var error = Chat.JsonSchemaGrammar.FromSchema(parameters).Error;
        return error is null ? null : OpenAiErrors.InvalidRequest($"{field} is not a JSON Schema this server can enforce: {error}", field, "invalid_tool_schema");
    }
}
