using System.Globalization;
using System.Text;

namespace OpeaChat.Benchmarks.Load;

/// <summary>
/// Builds prompts of a fixed token length: a request number (so no two prompts share a prefix and no server reuses
/// one request's KV cache for the next), then the first N words of a repeated sentence. N is found per target by
/// asking it (or its tokenizer) how many tokens a prompt has, since only the server knows its template and tokenizer.
/// </summary>
public sealed class PromptBuilder(int words)
{
    private static readonly string[] s_words =
        "The little fox walked along the river and looked at the stars above the quiet green hills .".Split(' ');

    public int Words { get; } = words;

    public string Build(int number)
    {
        var text = new StringBuilder(capacity: 16 + (Words * 7));
        text.Append(CultureInfo.InvariantCulture, $"[{number % 1_000_000:D6}]");
        for (var i = 0; i < Words; i++)
        {
            text.Append(' ').Append(s_words[i % s_words.Length]);
        }

        return text.ToString();
    }

    /// <summary>
    /// The longest prompt with at most <paramref name="tokens"/> tokens, by binary search over the word count
    /// (token counts grow with words). Returns the builder and the prompt's exact token count.
    /// </summary>
    public static async Task<(PromptBuilder Builder, int Tokens)> CalibrateAsync(
        int tokens, Func<string, CancellationToken, Task<int>> countTokens, CancellationToken cancellationToken)
    {
        var overhead = await countTokens(new PromptBuilder(0).Build(0), cancellationToken).ConfigureAwait(false);
        if (overhead > tokens)
        {
            throw new InvalidOperationException($"The shortest prompt already has {overhead} tokens (template and request number); ask for at least that many prompt tokens.");
        }

        int low = 0, high = tokens, lowTokens = overhead;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            var count = await countTokens(new PromptBuilder(middle).Build(0), cancellationToken).ConfigureAwait(false);
            if (count <= tokens)
            {
                low = middle;
                lowTokens = count;
            }
            else
            {
                high = middle - 1;
            }
        }

        return (new PromptBuilder(low), lowTokens);
    }
}
