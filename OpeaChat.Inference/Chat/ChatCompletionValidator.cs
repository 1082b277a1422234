using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Chat;

/// <summary>Checks a chat-completion request the way OpenAI does, naming the offending field.</summary>
public static class ChatCompletionValidator
{
    public const int MaxTokensLimit = 1_000_000;

    /// <summary>OpenAI's limits: 20 alternatives on chat completions, 5 on the legacy text completions.</summary>
    public const int MaxTopLogprobs = 20;
    public const int MaxLegacyLogprobs = 5;
    private static readonly string[] s_roles = ["system", "developer", "user", "assistant", "tool"];

    public static OpenAiErrorResult? Validate(ChatCompletionRequest request)
    {
        if (request.Messages is null)
        {
            return OpenAiErrors.InvalidRequest("'messages' is required: a list of {\"role\",\"content\"} objects.", "messages", "missing_required_parameter");
        }

        if (request.Messages.Count == 0)
        {
            return OpenAiErrors.InvalidRequest("'messages' must contain at least one message.", "messages", "empty_array");
        }

        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (message is null)
            {
                return OpenAiErrors.InvalidRequest($"messages[{i}] must be an object with 'role' and 'content'.", $"messages[{i}]");
            }

            if (message.Role is null || !s_roles.Contains(message.Role))
            {
                return OpenAiErrors.InvalidRequest(
                    $"messages[{i}].role must be one of {string.Join(", ", s_roles)}; got '{message.Role}'.", $"messages[{i}].role");
            }

            // An assistant message that made calls may have no text.
            if (message.Content is null && !(message.Role == "assistant" && message.ToolCalls is { Count: > 0 }))
            {
                return OpenAiErrors.InvalidRequest($"messages[{i}].content is required.", $"messages[{i}].content", "missing_required_parameter");
            }

            if (Tools.ToolCallValidator.ValidateMessage(request.Messages, i) is { } toolMessageError)
            {
                return toolMessageError;
            }
        }

        if (Tools.ToolCallValidator.Validate(request) is { } toolsError)
        {
            return toolsError;
        }

        if (request.MaxCompletionTokens is { } maxCompletion && (maxCompletion < 1 || maxCompletion > MaxTokensLimit))
        {
            return OutOfRange("max_completion_tokens", $"an integer from 1 to {MaxTokensLimit}", maxCompletion);
        }

        if (request.ResponseFormat is { } format && ValidateResponseFormat(format) is { } formatError)
        {
            return formatError;
        }

        if (ValidateLogprobs(request) is { } logprobsError)
        {
            return logprobsError;
        }

        if (request.Grammar is not null && request.ResponseFormat?.Type is "json_object" or "json_schema")
        {
            return OpenAiErrors.InvalidRequest(
                "'grammar' and a JSON response_format both constrain the output; send one of them.", "grammar", "unsupported_value");
        }

        return ValidateGeneration(request);
    }

    /// <summary>The grammar the request's output must follow: its own GBNF, the JSON one, the one built from its schema, or none.</summary>
    public static string? GrammarFor(ChatCompletionRequest request) => request.Grammar ?? request.ResponseFormat?.Type switch
    {
        "json_object" => JsonGrammar.Gbnf,
        "json_schema" => JsonSchemaGrammar.FromSchema(request.ResponseFormat.JsonSchema!.Schema!.Value).Gbnf,
        _ => null,
    };

    private static OpenAiErrorResult? ValidateResponseFormat(ResponseFormat format)
    {
        if (format.Type is not ("text" or "json_object" or "json_schema"))
        {
            return OpenAiErrors.InvalidRequest(
                $"response_format.type must be \"text\", \"json_object\" or \"json_schema\"; got '{format.Type}'.", "response_format.type", "unsupported_value");
        }

        if (format.Type != "json_schema")
        {
            return null;
        }

        if (format.JsonSchema is not { } jsonSchema)
        {
            return OpenAiErrors.InvalidRequest(
                "response_format.json_schema is required with type \"json_schema\": {\"name\", \"schema\"}.", "response_format.json_schema", "missing_required_parameter");
        }

        if (string.IsNullOrEmpty(jsonSchema.Name))
        {
            return OpenAiErrors.InvalidRequest("response_format.json_schema.name is required.", "response_format.json_schema.name", "missing_required_parameter");
        }

        if (!IsOpenAiName(jsonSchema.Name))
        {
            return OpenAiErrors.InvalidRequest(
                "response_format.json_schema.name must be 1 to 64 letters, digits, underscores or dashes.", "response_format.json_schema.name");
        }

        if (jsonSchema.Schema is not { } schema || schema.ValueKind == JsonValueKind.Null)
        {
            return OpenAiErrors.InvalidRequest(
                "response_format.json_schema.schema is required: the JSON Schema the answer must follow.", "response_format.json_schema.schema", "missing_required_parameter");
        }

        return JsonSchemaGrammar.FromSchema(schema).Error is { } unsupported
            ? OpenAiErrors.InvalidRequest($"response_format.json_schema.schema cannot be enforced: {unsupported}", "response_format.json_schema.schema", "unsupported_schema")
            : null;
    }

    /// <summary>OpenAI's names of schemas and functions: 1 to 64 letters, digits, underscores or dashes.</summary>
    public static bool IsOpenAiName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public static OpenAiErrorResult? Validate(CompletionRequest request)
    {
        if (request.Prompt is null)
        {
            return OpenAiErrors.InvalidRequest("'prompt' is required: a string.", "prompt", "missing_required_parameter");
        }

        if (request.Prompt.Values.Count != 1)
        {
            return OpenAiErrors.InvalidRequest("'prompt' must be one string; send one request per prompt.", "prompt", "unsupported_value");
        }

        if (request.Logprobs is { } logprobs && (logprobs < 0 || logprobs > MaxLegacyLogprobs))
        {
            return OutOfRange("logprobs", $"an integer from 0 to {MaxLegacyLogprobs}", logprobs);
        }

        return ValidateGeneration(request);
    }

    /// <summary>OpenAI's rules: <c>top_logprobs</c> from 0 to 20, and only with <c>logprobs: true</c>.</summary>
    private static OpenAiErrorResult? ValidateLogprobs(ChatCompletionRequest request)
    {
        if (request.TopLogprobs is not { } top)
        {
            return null;
        }

        if (top < 0 || top > MaxTopLogprobs)
        {
            return OutOfRange("top_logprobs", $"an integer from 0 to {MaxTopLogprobs}", top);
        }

        return request.Logprobs == true
            ? null
            : OpenAiErrors.InvalidRequest("'top_logprobs' needs 'logprobs' set to true.", "top_logprobs", "invalid_value");
    }

    /// <summary>Checks the generation parameters that chat and text completions share.</summary>
    public static OpenAiErrorResult? ValidateGeneration(GenerationParameters request)
    {
        if (request.MaxTokens is { } maxTokens && (maxTokens < 1 || maxTokens > MaxTokensLimit))
        {
            return OutOfRange("max_tokens", $"an integer from 1 to {MaxTokensLimit}", maxTokens);
        }

        if (request.Temperature is { } temperature && (temperature < 0 || temperature > 2 || float.IsNaN(temperature)))
        {
            return OutOfRange("temperature", "a number from 0 to 2", temperature);
        }

        if (request.TopP is { } topP && (topP <= 0 || topP > 1 || float.IsNaN(topP)))
        {
            return OutOfRange("top_p", "a number greater than 0 and at most 1", topP);
        }

        if (request.TopK is { } topK && topK < 0)
        {
            return OutOfRange("top_k", "0 (off) or a positive integer", topK);
        }

        if (request.MinP is { } minP && (minP < 0 || minP > 1 || float.IsNaN(minP)))
        {
            return OutOfRange("min_p", "a number from 0 to 1", minP);
        }

        if (request.FrequencyPenalty is { } frequency && (frequency < -2 || frequency > 2 || float.IsNaN(frequency)))
        {
            return OutOfRange("frequency_penalty", "a number from -2 to 2", frequency);
        }

        if (request.PresencePenalty is { } presence && (presence < -2 || presence > 2 || float.IsNaN(presence)))
        {
            return OutOfRange("presence_penalty", "a number from -2 to 2", presence);
        }

        if (request.RepeatPenalty is { } repeat && (repeat <= 0 || repeat > 10 || float.IsNaN(repeat)))
        {
            return OutOfRange("repeat_penalty", "a number greater than 0 and at most 10", repeat);
        }

        if (request.N is { } n && n != 1)
        {
            return OpenAiErrors.InvalidRequest($"Only n = 1 is supported; got {n}. Send separate requests for several choices.", "n", "unsupported_value");
        }

        if (request.Grammar is { } grammar && string.IsNullOrWhiteSpace(grammar))
        {
            return OpenAiErrors.InvalidRequest("'grammar' must be a GBNF grammar with a 'root' rule; got an empty string.", "grammar");
        }

        if (request.Stop is { } stop && stop.Values.Count > 16)
        {
            return OpenAiErrors.InvalidRequest("At most 16 stop sequences are allowed.", "stop");
        }

        return null;
    }

    private static OpenAiErrorResult OutOfRange<T>(string param, string expected, T actual) =>
        OpenAiErrors.InvalidRequest($"'{param}' must be {expected}; got {actual}.", param);
}
