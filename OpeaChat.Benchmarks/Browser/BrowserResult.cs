using OpeaChat.Benchmarks.Load;

namespace OpeaChat.Benchmarks.Browser;

/// <summary>The kinds of measured send, in the JSON's words.</summary>
public static class BrowserKinds
{
    /// <summary>The page: the first message of a new chat (the page creates the conversation, then sends).</summary>
    public const string PageNewChat = "page_new_chat";

    /// <summary>The page: the next message of that chat.</summary>
    public const string PageContinueChat = "page_continue_chat";

    /// <summary>All page sends together.</summary>
    public const string Page = "page";

    /// <summary>The gateway's OPEA <c>/v1/chatqna</c>, streamed, the same prompt: the baseline.</summary>
    public const string GatewayChatQnA = "gateway_chatqna";

    /// <summary>
    /// What the page asks the gateway for a new chat, without the page: <c>POST /v1/conversations</c>, then the OpenAI
    /// door's <c>/v1/chat/completions</c> with <c>conversation_id</c> (stored history), timed from the create.
    /// </summary>
    public const string GatewayConversationNew = "gateway_conversation_new";

    /// <summary>The next message of that conversation through the OpenAI door, as the page sends it.</summary>
    public const string GatewayConversationContinue = "gateway_conversation_continue";
}

/// <summary>What a run asks for.</summary>
/// <param name="MaxTokens">Sent to the gateway and set in the page's chat settings; null: neither (the gateway's default).</param>
/// <param name="LongReplyTokens">The long reply's <c>max_tokens</c> (with <c>ignore_eos</c>); 0: no long-reply check.</param>
public sealed record BrowserWorkload(
    string Prompt, int Sends, int? MaxTokens, int LongReplyTokens, int Loads, int WarmupSends, double TimeoutSeconds,
    int ViewportWidth, int ViewportHeight, double AverageCharactersPerToken);

/// <summary>A distribution of a few values: percentiles by linear interpolation between the sorted values.</summary>
public sealed record Stat(int Count, double P50, double P90, double Min, double Max, double Mean)
{
    public static Stat? Of(IEnumerable<double?> values)
    {
        var sorted = values.Where(value => value is { } v && double.IsFinite(v)).Select(value => value!.Value).Order().ToArray();
        return sorted.Length == 0
            ? null
            : new Stat(sorted.Length, Round(Percentile(sorted, 0.5)), Round(Percentile(sorted, 0.9)), Round(sorted[0]), Round(sorted[^1]), Round(sorted.Average()));
    }

    public static double Percentile(double[] sorted, double fraction)
    {
        var position = (sorted.Length - 1) * fraction;
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((sorted[above] - sorted[below]) * (position - below));
    }

    private static double Round(double value) => Math.Round(value, 2);
}

/// <summary>A main-thread task over 50 ms (the browser's long-task timing); its start in ms from the send's Enter (a load's: from navigation).</summary>
public sealed record LongTask(double StartMs, double DurationMs);

/// <summary>
/// One send from the page, every time in ms from the Enter keydown (its event time stamp, performance.now()).
/// </summary>
/// <param name="FirstTextMs">The DOM mutation that first gave the reply text.</param>
/// <param name="FirstPaintMs">The first animation frame whose reply has text (the frame that paints it): what the goal is judged on.</param>
/// <param name="FirstPaintAfterMs">A task posted from that frame's callback: the frame's rendering work is done by then.</param>
/// <param name="FirstPaintNextFrameMs">The frame after it (an upper bound).</param>
/// <param name="StoredMs">The reply shows the gateway's id and is no longer streaming (the page read the stored branch).</param>
/// <param name="SendEnabledMs">Send is enabled again and Stop is gone: the page is done with the reply.</param>
/// <param name="LastPaintMs">The last frame at which the painted text grew.</param>
/// <param name="Characters">The reply's painted text (textContent of its rendered Markdown).</param>
/// <param name="CompletionTokens">The stored reply's <c>completion_tokens</c> (inference's count).</param>
/// <param name="PaintedCharactersPerSecond">(characters at the last growth - at the first paint) / (last growth - first paint).</param>
/// <param name="PaintedTokensPerSecond">The painted characters/s over the reply's characters per token (its own characters / completion_tokens).</param>
/// <param name="StoredTokensPerSecond">The same reply's rate as the gateway measured it while relaying it (its stored <c>tokens_per_second</c>).</param>
/// <param name="PaintedFrames">Frames at which the painted text grew.</param>
/// <param name="LongestFrameGapMs">The longest time between two frames at which the painted text grew (how jerky the stream looks).</param>
/// <param name="LongTasks">Long tasks from Enter to <see cref="SendEnabledMs"/>.</param>
public sealed record PageSend(
    int Round, string Kind, Guid? ConversationId, double FirstTextMs, double FirstPaintMs, double FirstPaintAfterMs, double FirstPaintNextFrameMs,
    double LastPaintMs, double StoredMs, double SendEnabledMs, int Characters, int? CompletionTokens, double? PaintedCharactersPerSecond,
    double? PaintedTokensPerSecond, double? StoredTokensPerSecond, int PaintedFrames, double? LongestFrameGapMs, IReadOnlyList<LongTask> LongTasks)
{
    /// <summary>
    /// Painted tokens/s over the gateway's rate for this very reply: what the page loses on its own, apart from the
    /// model decoding more slowly while the browser and the web share the machine with it.
    /// </summary>
    public double? PaintedOverStoredRatio => PaintedTokensPerSecond is { } painted && StoredTokensPerSecond is > 0 ? Math.Round(painted / StoredTokensPerSecond.Value, 3) : null;
}

/// <summary>
/// A long animation frame (over 50 ms, Chromium's long-animation-frame timing): its start in ms from Enter, how long
/// it took, how much of it blocked input, its style-and-layout-onwards part, and the scripts that ran in it.
/// </summary>
public sealed record LongFrame(double StartMs, double DurationMs, double BlockingMs, double RenderMs, double StyleLayoutMs, IReadOnlyList<FrameScript> Scripts);

/// <summary>A script of a long animation frame: what invoked it (an event, a timer, a resolved promise), its source and function, its time.</summary>
public sealed record FrameScript(string Invoker, string Source, double DurationMs, double ForcedStyleLayoutMs);

/// <summary>One request straight to the gateway, times in ms from just before it was sent.</summary>
/// <param name="TtftMs">The first text event or chunk (for <see cref="BrowserKinds.GatewayConversationNew"/>, timed from the conversation's create).</param>
/// <param name="TokensSource"><c>completion_tokens</c> (usage, the OpenAI door) or <c>events</c> (OPEA's stream has no usage).</param>
/// <param name="TokensPerSecond">(tokens - 1) / (last text - first text): the streamed rate.</param>
/// <param name="StoredMs">The stored reply no longer streaming (conversation kinds; polled every 5 ms after the stream's end).</param>
public sealed record GatewaySend(
    int Round, string Kind, double TtftMs, double LastTokenMs, double EndMs, int Tokens, string TokensSource, double? TokensPerSecond, double? StoredMs, string? Error);

/// <summary>One first load of the page in a fresh browser context (empty cache), times in ms from navigation start.</summary>
/// <param name="InputShownMs">The message box is in the page (prerendered: it shows, but Enter does not send yet).</param>
/// <param name="InputWiredMs">The live box is wired (ChatInput's module took over; the circuit is up): from here typing and Enter work.</param>
/// <param name="PageReadyMs">The page marks itself ready (data-ready: list loaded too).</param>
/// <param name="TypingWorks">After <see cref="InputWiredMs"/>, a character typed into the box is in it.</param>
/// <param name="TransferBytes">Resource timing's transferSize over the document and every resource (headers included; WebSocket frames not).</param>
public sealed record PageLoad(
    int Load, double InputShownMs, double? TextareaDefinedMs, double InputWiredMs, double PageReadyMs, double? FirstContentfulPaintMs,
    double? DomContentLoadedMs, double? LoadEventMs, int Resources, long TransferBytes, long EncodedBodyBytes, long DecodedBodyBytes,
    IReadOnlyList<LongTask> LongTasks, bool TypingWorks);

/// <summary>The long streamed reply and the page's long tasks while it streams (times in ms from Enter).</summary>
/// <param name="Method">How the reply was made long (see docs/benchmarks.md).</param>
/// <param name="CompletionTokens">The page's reply as stored (the length reached).</param>
/// <param name="GatewayTokens">The same request's reply straight from the gateway, and its streamed rate and TTFT.</param>
/// <param name="LongTasks">Long tasks from Enter to Send enabled again.</param>
/// <param name="LongFrames">Long animation frames in that time, with their scripts (where the long tasks' time went).</param>
/// <param name="Failure">The gateway's request failed (the page's figures stand).</param>
public sealed record LongReplyResult(
    string Method, int AskedTokens, int? CompletionTokens, int Characters, double FirstPaintMs, double StoredMs, double? PaintedCharactersPerSecond,
    double? PaintedTokensPerSecond, int GatewayTokens, double? GatewayTokensPerSecond, double GatewayTtftMs, int PaintedFrames, double? LongestFrameGapMs,
    IReadOnlyList<LongTask> LongTasks, IReadOnlyList<LongFrame> LongFrames, string? Failure)
{
    public double LongestTaskMs => LongTasks.Count == 0 ? 0 : LongTasks.Max(task => task.DurationMs);

    /// <summary>Painted tokens/s over the gateway's streamed tokens/s.</summary>
    public double? TokensPerSecondRatio => PaintedTokensPerSecond is { } painted && GatewayTokensPerSecond is > 0 ? Math.Round(painted / GatewayTokensPerSecond.Value, 3) : null;
}

/// <summary>One kind's sends: the page's first paint or the gateway's TTFT, the stored time and the streamed rate.</summary>
public sealed record BrowserKindSummary(
    string Kind, int Count, Stat? FirstTokenMs, Stat? FirstTextMs, Stat? StoredMs, Stat? TokensPerSecond, Stat? CharactersPerSecond,
    Stat? Tokens, int LongTasks, double LongestTaskMs, int Errors)
{
    /// <summary>Page kinds: painted tokens/s over the gateway's rate for the same reply (see <see cref="PageSend.PaintedOverStoredRatio"/>).</summary>
    public Stat? PaintedOverSameReply { get; init; }
}

/// <summary>A page kind against a gateway kind of the same run.</summary>
/// <param name="FirstPaintOverTtftP50Ms">Page first-paint p50 minus gateway TTFT p50 (goal: at most 50 ms).</param>
/// <param name="TokensPerSecondRatio">Page painted tokens/s p50 over gateway streamed tokens/s p50 (goal: at least 0.95).</param>
/// <param name="PaintedOverSameReplyP50">Painted tokens/s over the gateway's rate for the same reply, p50 over the page's sends.</param>
public sealed record BrowserComparison(
    string Page, string Gateway, double? FirstPaintOverTtftP50Ms, double? FirstPaintOverTtftP90Ms, double? FirstPaintRatioP50,
    double? TokensPerSecondRatio, double? PaintedOverSameReplyP50, double? StoredOverGatewayStoredP50Ms, bool? MeetsFirstPaintGoal, bool? MeetsTokensPerSecondGoal);

public sealed record BrowserGoals(double FirstPaintOverTtftMs, double TokensPerSecondRatio, double LongTaskMs, double InputUsableMs);

/// <summary>The results of one <c>browser</c> run (stable snake_case JSON; <see cref="SchemaVersion"/> changes when it does).</summary>
public sealed record BrowserResult
{
    public const string SchemaVersion = "opeachat-benchmarks/browser/1";

    public string Schema { get; init; } = SchemaVersion;
    public required string Web { get; init; }
    public required string Gateway { get; init; }
    public required string? Model { get; init; }
    public required string Browser { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required MachineInfo Machine { get; init; }
    public required BrowserWorkload Workload { get; init; }
    public required BrowserGoals Goals { get; init; }
    public required IReadOnlyList<PageLoad> Loads { get; init; }
    public required Stat? InputWiredMs { get; init; }
    public required Stat? PageReadyMs { get; init; }
    public required Stat? TransferBytes { get; init; }
    public required IReadOnlyList<PageSend> PageSends { get; init; }
    public required IReadOnlyList<GatewaySend> GatewaySends { get; init; }
    public required IReadOnlyList<BrowserKindSummary> Summaries { get; init; }
    public required IReadOnlyList<BrowserComparison> Comparisons { get; init; }
    public required LongReplyResult? LongReply { get; init; }
}
