using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Engine;

namespace OpeaChat.Inference.Tools;

/// <summary>
/// What a chat request's tools mean for one generation: the format its calls are read in, and the grammar that holds
/// them: from the first token (<c>required</c>, a named function) or from the trigger on (<c>auto</c>, lazily).
/// </summary>
public sealed record ToolCallPlan(ToolCallFormat Format, string? Grammar, LazyGrammar? LazyGrammar)
{
    /// <summary>The request's tools that the model may call, or null for a plain chat (no tools, or <c>tool_choice: "none"</c>).</summary>
    public static IReadOnlyList<ChatTool>? OfferedTools(ChatCompletionRequest request) =>
        request.Tools is { Count: > 0 } tools && request.ToolChoice?.Mode != ToolChoice.None ? tools : null;

    /// <summary>The plan for a validated request, or null when no call may be made.</summary>
    public static ToolCallPlan? For(ChatCompletionRequest request, ToolCallFormat format)
    {
        if (OfferedTools(request) is not { } tools)
        {
            return null;
        }

        var parallel = request.ParallelToolCalls != false;
        switch (request.ToolChoice?.Mode ?? ToolChoice.Auto)
        {
            case ToolChoice.Required:
                return new ToolCallPlan(format, ToolCallGrammar.ForCalls(format, tools, null, parallel).Gbnf, null);
            case ToolChoice.Function:
                // A named function is called once, as OpenAI does.
                return new ToolCallPlan(format, ToolCallGrammar.ForCalls(format, tools, request.ToolChoice!.FunctionName, parallel: false).Gbnf, null);
            default:
                var lazy = new LazyGrammar(format.Trigger, format.TriggerOnlyAtStart, remainder => ToolCallGrammar.AfterTrigger(format, tools, parallel, remainder));
                return new ToolCallPlan(format, null, lazy);
        }
    }

    /// <summary>
    /// The prompt for a chat whose messages or request involve tools, in the model's tool format. The tools are shown
    /// whatever <c>tool_choice</c> says, as a model's own template shows them: <c>none</c> only leaves out the grammar
    /// and the parsing of calls, so the model reads the same prompt either way.
    /// </summary>
    public static string RenderPrompt(Engine.ChatPromptFormatter formatter, ToolCallFormat format, ChatCompletionRequest request)
    {
        var tools = request.Tools is { Count: > 0 } given ? given : null;
        return format.RenderPrompt(request.Messages!, tools)
            ?? formatter.Format(format.RenderMessages(request.Messages!, tools)!);
    }

    /// <summary>Does the chat need the tool format to be shown right (tools offered, or calls and results in its history)?</summary>
    public static bool Involves(ChatCompletionRequest request) =>
        request.Tools is { Count: > 0 } || request.Messages!.Any(message => message.Role == "tool" || message.ToolCalls is { Count: > 0 });
}
