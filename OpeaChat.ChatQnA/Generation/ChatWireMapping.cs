using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpeaChat.Contracts.OpenAi;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat;
using WireMessage = OpeaChat.Contracts.OpenAi.ChatMessage;
using WireTool = OpeaChat.Contracts.OpenAi.ChatTool;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// Between OpenAI's chat-completions wire (the gateway's contract types) and Microsoft.Extensions.AI, which the
/// gateway calls inference through. Whatever M.E.AI has no name for, or would reshape, goes on the wire as the client
/// sent it (the OpenAI SDK's JSON patch); answers keep inference's exact shape where the SDK's object is there.
/// </summary>
// The OpenAI SDK's JsonPatch (SCME0001) is how it sends fields it has no property for: it is the documented way, and
// M.E.AI's own adapter uses it the same way (for the model).
#pragma warning disable SCME0001
public static class ChatWireMapping
{
    /// <summary>The request's messages as M.E.AI's (see <see cref="NeedsMessagesAsSent"/> for those it cannot carry).</summary>
    public static List<AiChatMessage> ToChatMessages(ChatCompletionRequest request)
    {
        List<AiChatMessage> messages = [.. (request.Messages ?? []).Where(message => message is not null).Select(ToChatMessage)];
        // The SDK refuses an empty list before sending; the messages then go as sent (none), for inference to answer 400.
        return messages.Count > 0 ? messages : [new AiChatMessage(ChatRole.User, string.Empty)];
    }

    private static AiChatMessage ToChatMessage(WireMessage message)
    {
        var text = message.Content?.Text;
        switch (message.Role)
        {
            case "tool":
                return new AiChatMessage(ChatRole.Tool, [new FunctionResultContent(message.ToolCallId ?? string.Empty, text ?? string.Empty)]);

            case "assistant" when message.ToolCalls is { Count: > 0 } calls:
                List<AIContent> contents = text is null ? [] : [new TextContent(text)];
                contents.AddRange(calls.Select(call => FunctionCallContent.CreateFromParsedArguments(
                    call.Function?.Arguments ?? "{}", call.Id ?? string.Empty, call.Function?.Name ?? string.Empty, ParseArguments)));
                return new AiChatMessage(ChatRole.Assistant, contents)
                {
                    AuthorName = message.Name,
                    // M.E.AI would re-serialise the parsed arguments: the client's own text goes back, byte for byte.
                    RawRepresentation = ToOpenAiAssistantMessage(text, calls, message.Name),
                };

            default:
                return new AiChatMessage(new ChatRole(message.Role ?? ChatRole.User.Value), text is null ? [] : [new TextContent(text)])
                {
                    AuthorName = message.Name,
                };
        }
    }

    private static Dictionary<string, object?>? ParseArguments(string json) =>
        JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(Dictionary<string, object?>))) as Dictionary<string, object?>;

    private static AssistantChatMessage ToOpenAiAssistantMessage(string? text, IReadOnlyList<ToolCall> calls, string? name)
    {
        var toolCalls = calls.Select(call => ChatToolCall.CreateFunctionToolCall(
            call.Id ?? string.Empty, call.Function?.Name ?? string.Empty, BinaryData.FromString(call.Function?.Arguments ?? "{}"))).ToList();
        var message = new AssistantChatMessage(toolCalls) { ParticipantName = name };
        if (text is not null)
        {
            message.Content.Add(ChatMessageContentPart.CreateTextPart(text));
        }

        return message;
    }

    /// <summary>The request's sampling, length, format and tool fields as <see cref="ChatOptions"/>.</summary>
    public static ChatOptions ToChatOptions(ChatCompletionRequest request)
    {
        var options = new ChatOptions
        {
            ModelId = string.IsNullOrEmpty(request.Model) ? null : request.Model,
            Temperature = request.Temperature,
            TopP = request.TopP,
            TopK = request.TopK,
            MaxOutputTokens = request.MaxCompletionTokens ?? request.MaxTokens,
            Seed = request.Seed,
            FrequencyPenalty = request.FrequencyPenalty,
            PresencePenalty = request.PresencePenalty,
            StopSequences = request.Stop is { Values.Count: > 0 } stop ? [.. stop.Values] : null,
            ResponseFormat = ToResponseFormat(request.ResponseFormat),
            Tools = ToDeclarations(request.Tools),
            ToolMode = ToToolMode(request.ToolChoice),
            AllowMultipleToolCalls = request.ParallelToolCalls,
            RawRepresentationFactory = _ => ToCompletionOptions(request),
        };
        return options;
    }

    public static AiResponseFormat? ToResponseFormat(ResponseFormat? format) => format?.Type switch
    {
        "text" => AiResponseFormat.Text,
        "json_object" => AiResponseFormat.Json,
        "json_schema" when format.JsonSchema?.Schema is { ValueKind: JsonValueKind.Object } schema =>
            AiResponseFormat.ForJsonSchema(schema, format.JsonSchema.Name, format.JsonSchema.Description),
        _ => null,
    };

    public static ChatToolMode? ToToolMode(ToolChoice? choice) => choice?.Mode switch
    {
        ToolChoice.Auto => ChatToolMode.Auto,
        ToolChoice.None => ChatToolMode.None,
        ToolChoice.Required => ChatToolMode.RequireAny,
        ToolChoice.Function when !string.IsNullOrEmpty(choice.FunctionName) => ChatToolMode.RequireSpecific(choice.FunctionName),
        _ => null,
    };

    /// <summary>
    /// The tools as M.E.AI declarations (their schemas as sent), for M.E.AI's view of the request; only when each is
    /// well formed, because M.E.AI reads a schema's <c>properties</c> and <c>required</c> itself. Inference gets the
    /// tools exactly as sent either way (see <see cref="ToCompletionOptions"/>) and judges bad ones.
    /// </summary>
    public static IList<AITool>? ToDeclarations(IReadOnlyList<WireTool>? tools)
    {
        if (tools is not { Count: > 0 } || !tools.All(IsDeclarable))
        {
            return null;
        }

        return [.. tools.Select(tool => (AITool)AIFunctionFactory.CreateDeclaration(
            tool.Function!.Name!, tool.Function.Description, tool.Function.Parameters ?? EmptySchema))];
    }

    private static readonly JsonElement EmptySchema = JsonElement.Parse("""{"type":"object","properties":{}}""");

    private static bool IsDeclarable(WireTool tool)
    {
        if (tool is not { Type: "function", Function.Name.Length: > 0 })
        {
            return false;
        }

        if (tool.Function.Parameters is not { } schema)
        {
            return true;
        }

        return schema.ValueKind == JsonValueKind.Object
            && (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind == JsonValueKind.Object)
            && (!schema.TryGetProperty("required", out var required)
                || (required.ValueKind == JsonValueKind.Array && required.EnumerateArray().All(name => name.ValueKind == JsonValueKind.String)))
            && (!schema.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.String);
    }

    /// <summary>
    /// A message M.E.AI cannot carry as it is: none at all, a role it does not know (it would drop the message), no
    /// content (it would send an empty text), or tool fields it would drop or that it needs whole (a call without id,
    /// name or arguments, tool calls on another role, a tool answer without its call's id). Then the messages go as
    /// sent, and inference refuses them naming the field.
    /// </summary>
    private static bool NeedsMessagesAsSent(IReadOnlyList<WireMessage>? messages) =>
        messages is not { Count: > 0 } || messages.Any(message => message is null
            || message.Role is not ("system" or "developer" or "user" or "assistant" or "tool")
            || (message.Content is null && message.ToolCalls is not { Count: > 0 })
            || (message.ToolCalls is { } calls && (message.Role != "assistant" || calls.Count == 0
                || calls.Any(call => call is not { Id.Length: > 0, Type: "function", Function: { Name.Length: > 0, Arguments: not null } })))
            || (message.Role == "tool") != (message.ToolCallId is { Length: > 0 }));

    /// <summary>
    /// The OpenAI SDK's options for the call, which M.E.AI fills in from <see cref="ChatOptions"/>. Typed where the SDK
    /// has a property; the rest through its JSON patch, as the client sent it: OpeaChat's and llama-server's extensions
    /// (<c>cache_prompt</c>, <c>ignore_eos</c>, <c>grammar</c>, <c>top_k</c>, <c>min_p</c>, <c>repeat_penalty</c>, <c>n</c>),
    /// <c>max_tokens</c> under its own name, <c>parallel_tool_calls</c> (M.E.AI sends it only with tools it declared),
    /// and the tools, tool choice and response format, which M.E.AI would otherwise rewrite (it adds
    /// <c>additionalProperties:false</c> and makes every property required in a schema) or refuse (a tool without a name,
    /// which inference must get to answer 400 naming the field).
    /// </summary>
    public static ChatCompletionOptions ToCompletionOptions(ChatCompletionRequest request)
    {
        var options = new ChatCompletionOptions
        {
            IncludeLogProbabilities = request.Logprobs,
            TopLogProbabilityCount = request.TopLogprobs,
            EndUserId = request.User,
        };

        if (string.IsNullOrEmpty(request.Model))
        {
            // No model named: none is sent (the SDK would send its client's), so inference answers with its default.
            options.Patch.Remove("$.model"u8);
        }

        if (request.Messages is null)
        {
            options.Patch.Remove("$.messages"u8);
        }

        if (request.MaxCompletionTokens is null)
        {
            // The client's max_tokens goes as max_tokens (the SDK would rename it), so a refusal names the field it sent.
            options.Patch.Remove("$.max_completion_tokens"u8);
        }

        var extensions = new ChatCompletionRequest
        {
            TopK = request.TopK,
            MinP = request.MinP,
            RepeatPenalty = request.RepeatPenalty,
            IgnoreEos = request.IgnoreEos,
            Grammar = request.Grammar,
            CachePrompt = request.CachePrompt,
            N = request.N,
            MaxTokens = request.MaxTokens,
            ParallelToolCalls = request.ParallelToolCalls,
            Tools = request.Tools,
            ToolChoice = request.ToolChoice,
            ResponseFormat = request.ResponseFormat,
            Messages = NeedsMessagesAsSent(request.Messages) ? request.Messages : null,
        };
        using var json = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(extensions, OpenAiJsonContext.Default.ChatCompletionRequest));
        foreach (var field in json.RootElement.EnumerateObject())
        {
            options.Patch.Set(Encoding.UTF8.GetBytes("$." + field.Name), BinaryData.FromString(field.Value.GetRawText()));
        }

        return options;
    }

    /// <summary>A non-streamed answer in OpenAI's shape; log-probabilities come from the SDK's object when it is there.</summary>
    public static ChatCompletionResponse ToResponse(ChatResponse response)
    {
        var raw = response.RawRepresentation as ChatCompletion;
        var message = response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant) ?? response.Messages.LastOrDefault();
        var texts = message?.Contents.OfType<TextContent>().Select(content => content.Text).ToList() ?? [];
        var calls = message?.Contents.OfType<FunctionCallContent>().Select(ToToolCall).ToList() ?? [];
        var content = texts.Count > 0 ? string.Concat(texts) : calls.Count > 0 ? null : string.Empty;
        return new ChatCompletionResponse
        {
            Id = response.ResponseId ?? raw?.Id ?? string.Empty,
            Created = (response.CreatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            Model = response.ModelId ?? string.Empty,
            SystemFingerprint = raw?.SystemFingerprint,
            Choices =
            [
                new ChatCompletionChoice
                {
                    Message = new WireMessage
                    {
                        Role = "assistant",
                        Content = content is null ? null : new MessageContent(content),
                        ToolCalls = calls.Count > 0 ? calls : null,
                    },
                    FinishReason = response.FinishReason?.Value ?? (calls.Count > 0 ? FinishReasons.ToolCalls : FinishReasons.Stop),
                    Logprobs = raw is { ContentTokenLogProbabilities.Count: > 0 } ? ToLogprobs(raw.ContentTokenLogProbabilities) : null,
                },
            ],
            Usage = ToUsage(response.Usage),
        };
    }

    private static ToolCall ToToolCall(FunctionCallContent call) => new()
    {
        Id = call.CallId,
        Type = "function",
        Function = new FunctionCall
        {
            Name = call.Name,
            // The arguments as the model wrote them where the SDK kept them; M.E.AI's parsed copy otherwise.
            Arguments = call.RawRepresentation is ChatToolCall raw
                ? raw.FunctionArguments.ToString()
                : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))),
        },
    };

    public static Usage ToUsage(UsageDetails? usage) => new()
    {
        PromptTokens = (int)(usage?.InputTokenCount ?? 0),
        CompletionTokens = (int)(usage?.OutputTokenCount ?? 0),
        TotalTokens = (int)(usage?.TotalTokenCount ?? (usage?.InputTokenCount ?? 0) + (usage?.OutputTokenCount ?? 0)),
        PromptTokensDetails = usage?.CachedInputTokenCount is { } cached ? new PromptTokensDetails { CachedTokens = (int)cached } : null,
    };

    private static ChoiceLogprobs ToLogprobs(IReadOnlyList<ChatTokenLogProbabilityDetails> tokens) => new()
    {
        Content = [.. tokens.Select(token => new TokenLogprob
        {
            Token = token.Token,
            Logprob = token.LogProbability,
            Bytes = token.Utf8Bytes is { } bytes ? [.. bytes.ToArray().Select(b => (int)b)] : null,
            TopLogprobs = [.. token.TopLogProbabilities.Select(top => new TopLogprob
            {
                Token = top.Token,
                Logprob = top.LogProbability,
                Bytes = top.Utf8Bytes is { } topBytes ? [.. topBytes.ToArray().Select(b => (int)b)] : null,
            })],
        })],
    };

    /// <summary>
    /// A streamed update as OpenAI's chunk. With the SDK's update (inference's event, as the SDK read it) the chunk is
    /// that event: tool-call fragments keep their index, id and name (M.E.AI itself only hands out whole calls, at the
    /// end), with log-probabilities, finish reason and usage. Another <see cref="IChatClient"/>'s update is built from
    /// its contents.
    /// </summary>
    public static ChatCompletionChunk ToChunk(ChatResponseUpdate update)
    {
        if (update.RawRepresentation is StreamingChatCompletionUpdate raw)
        {
            var json = ModelReaderWriter.Write(raw, ModelReaderWriterOptions.Json);
            return JsonSerializer.Deserialize(json, TolerantOpenAiJson.TypeInfo<ChatCompletionChunk>())
                ?? throw new JsonException("The inference service sent an empty chunk.");
        }

        var calls = update.Contents.OfType<FunctionCallContent>().Select((call, index) =>
        {
            var whole = ToToolCall(call);
            return new ToolCallDelta { Index = index, Id = whole.Id, Type = whole.Type, Function = whole.Function };
        }).ToList();
        var text = update.Contents.OfType<TextContent>().Select(content => content.Text).ToList();
        var usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details;
        var hasChoice = text.Count > 0 || calls.Count > 0 || update.FinishReason is not null || update.Role is not null || usage is null;
        return new ChatCompletionChunk
        {
            Id = update.ResponseId ?? string.Empty,
            Created = (update.CreatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            Model = update.ModelId ?? string.Empty,
            Choices = hasChoice
                ? [new ChatCompletionChunkChoice
                {
                    Delta = new ChatDelta
                    {
                        Role = update.Role?.Value,
                        Content = text.Count > 0 ? string.Concat(text) : null,
                        ToolCalls = calls.Count > 0 ? calls : null,
                    },
                    FinishReason = update.FinishReason?.Value,
                }]
                : [],
            Usage = usage is null ? null : ToUsage(usage),
        };
    }

    /// <summary>Inference's <c>data: {"error": …}</c> event part-way (the SDK reads it as an update with no choices).</summary>
    public static ErrorBody? StreamError(StreamingChatCompletionUpdate update)
    {
        if (!update.Patch.TryGetJson("$.error"u8, out var error))
        {
            return null;
        }

        var body = JsonSerializer.Deserialize(error.Span, TolerantOpenAiJson.TypeInfo<ErrorBody>());
        return body ?? new ErrorBody { Message = "The inference service failed during the reply.", Type = "server_error" };
    }
}
#pragma warning restore SCME0001
