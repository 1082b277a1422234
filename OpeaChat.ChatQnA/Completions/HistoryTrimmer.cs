using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Completions;

/// <summary>
/// Shortens a chat that no longer fits the model's context: whole turns go, oldest first; system messages and the
/// last message stay. Sizes are estimated from inference's own count of the too-long prompt, in proportion to each
/// message's length, keeping room for a reply.
/// </summary>
public static class HistoryTrimmer
{
    /// <summary>Returns the shorter message list and how many turns (a user message and the replies after it) it left out, or null when nothing more can go.</summary>
    public static (IReadOnlyList<ChatMessage> Messages, int RemovedTurns)? Trim(IReadOnlyList<ChatMessage> messages, int promptTokens, int limit, int? maxTokens)
    {
        var reserve = Math.Min(maxTokens ?? 256, limit / 4);
        var target = limit - reserve;
        var lengths = messages.Select(Length).ToArray();
        var tokensPerChar = (double)promptTokens / lengths.Sum();

        // Messages that can be removed: everything but the leading system messages and the last message.
        var first = 0;
        while (first < messages.Count && messages[first].Role is "system" or "developer")
        {
            first++;
        }

        var kept = messages.ToList();
        var estimate = (double)promptTokens;
        var removedTurns = 0;
        var index = first;
        while (estimate > target && index < kept.Count - 1)
        {
            // One turn: the message at the front and every non-user message after it.
            var end = index + 1;
            while (end < kept.Count - 1 && kept[end].Role != "user")
            {
                end++;
            }

            for (var i = index; i < end; i++)
            {
                estimate -= Length(kept[i]) * tokensPerChar;
            }

            kept.RemoveRange(index, end - index);
            removedTurns++;
        }

        return removedTurns == 0 ? null : (kept, removedTurns);
    }

    /// <summary>
    /// A message's size in characters: its text and its tool calls' names and arguments (an assistant message that
    /// only calls tools has no text). A tool message has no user message of its own, so it goes with its call's turn.
    /// </summary>
    private static int Length(ChatMessage message) =>
        Math.Max(1, (message.Content?.Text.Length ?? 0)
            + (message.ToolCalls?.Sum(call => (call.Function?.Name?.Length ?? 0) + (call.Function?.Arguments?.Length ?? 0)) ?? 0));
}
