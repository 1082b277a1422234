using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Engine;

namespace OpeaChat.Inference.Chat;

/// <summary>The decode loop's log-probabilities in OpenAI's shapes: per-token entries on chat, parallel lists on text.</summary>
internal static class LogprobsWriter
{
    /// <summary>A chat choice's or chunk's <c>logprobs</c>; null (no field) when the request did not ask.</summary>
    public static ChoiceLogprobs? Chat(IReadOnlyList<SampledTokenLogprob>? tokens) => tokens is null ? null : new ChoiceLogprobs
    {
        Content = tokens.Select(token => new TokenLogprob
        {
            Token = token.Sampled.Text,
            Logprob = token.Sampled.Logprob,
            Bytes = Bytes(token.Sampled),
            TopLogprobs = token.Top.Select(top => new TopLogprob { Token = top.Text, Logprob = top.Logprob, Bytes = Bytes(top) }).ToList(),
        }).ToList(),
    };

    /// <summary>
    /// A text choice's legacy <c>logprobs</c>. As OpenAI's legacy API, each position's dictionary holds the asked number
    /// of most likely tokens and the sampled token too, so it may have one more.
    /// </summary>
    public static CompletionLogprobs? Text(IReadOnlyList<SampledTokenLogprob>? tokens)
    {
        if (tokens is null)
        {
            return null;
        }

        var top = new List<Dictionary<string, float>>(tokens.Count);
        foreach (var token in tokens)
        {
            var alternatives = new Dictionary<string, float>(token.Top.Count + 1, StringComparer.Ordinal);
            foreach (var candidate in token.Top)
            {
                // Two tokens may read the same (pieces of one character): the likelier one, listed first, keeps the key.
                alternatives.TryAdd(candidate.Text, candidate.Logprob);
            }

            alternatives.TryAdd(token.Sampled.Text, token.Sampled.Logprob);
            top.Add(alternatives);
        }

        return new CompletionLogprobs
        {
            Tokens = tokens.Select(token => token.Sampled.Text).ToList(),
            TokenLogprobs = tokens.Select(token => token.Sampled.Logprob).ToList(),
            TopLogprobs = top,
            TextOffset = tokens.Select(token => token.TextOffset).ToList(),
        };
    }

    /// <summary>
    /// The entries waiting for a chunk, emptied. With tools, a call's tokens have no content chunk of their own: their
    /// entries go out on the next content chunk (or an empty one at the end), so every token is still listed once, in order.
    /// </summary>
    public static List<SampledTokenLogprob>? Take(List<SampledTokenLogprob>? pending)
    {
        if (pending is null)
        {
            return null;
        }

        var taken = pending.ToList();
        pending.Clear();
        return taken;
    }

    private static int[] Bytes(LogprobCandidate candidate) => Array.ConvertAll(candidate.Bytes, static value => (int)value);
}
