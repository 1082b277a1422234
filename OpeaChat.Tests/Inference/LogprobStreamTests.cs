using System.Text;
using OpeaChat.Inference.Engine;

namespace OpeaChat.Tests.Inference;

/// <summary>
/// The arithmetic of log-probabilities and how token entries are matched to the streamed text, without a model: the
/// partial selection against a full sort, and the decoder and stop-sequence matcher fed the bytes of known tokens.
/// </summary>
public sealed class LogprobStreamTests
{
    [Fact]
    public void The_partial_selection_agrees_with_a_full_sort_ties_included()
    {
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            // Few distinct values, so ties are common.
            var values = Enumerable.Range(0, random.Next(1, 300)).Select(_ => (float)random.Next(-20, 20) / 4).ToArray();
            var count = random.Next(0, 25);
            var ids = new int[count];

            var found = LogprobMath.SelectLargest(values, ids);

            var expected = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(count).ToArray();
            Assert.Equal(expected, ids[..found]);
        }
    }

    [Fact]
    public void Log_sum_exp_normalises_to_probabilities_that_add_up_to_one()
    {
        float[] logits = [1000f, 999f, -5f, 3.5f, 0f];

        var logSumExp = LogprobMath.LogSumExp(logits);

        Assert.Equal(1.0, logits.Sum(logit => Math.Exp(logit - logSumExp)), 5);
        Assert.Equal(Math.Log(1 / (1 + Math.Exp(-1))), logits[0] - logSumExp, 4);
    }

    [Fact]
    public void Without_stops_each_token_goes_out_with_its_own_text()
    {
        var run = new Run([]);

        Assert.Equal(["Once"], run.Push("Once"));
        Assert.Equal([" upon"], run.Push(" upon"));
        Assert.Equal([], run.Finish(stopped: false));
        Assert.Equal([0, 4], run.Offsets);
    }

    [Fact]
    public void A_character_split_across_tokens_goes_out_with_the_token_that_completes_it()
    {
        var run = new Run([]);
        var e = Encoding.UTF8.GetBytes("é"); // two bytes: two tokens

        Assert.Equal(["a"], run.Push("a"));
        Assert.Equal([], run.Push(e[..1]));
        Assert.Equal(["\uFFFD", "\uFFFD"], run.Push(e[1..]));
        Assert.Equal("aé", run.Text.ToString());
        Assert.Equal([0, 1, 1], run.Offsets); // both halves start where the character does
    }

    [Fact]
    public void Text_held_back_for_a_possible_stop_keeps_its_token_waiting_until_it_is_let_out()
    {
        var run = new Run(["<end>"]);

        Assert.Equal(["The"], run.Push("The"));
        Assert.Equal([], run.Push(" <")); // " " goes out, "<" is held: the token waits
        Assert.Equal(" ", run.Text.ToString()[^1..]);
        Assert.Equal([" <", "b"], run.Push("b"));
        Assert.Equal("The <b", run.Text.ToString());
    }

    [Fact]
    public void A_stop_sequence_drops_the_tokens_wholly_inside_it_and_keeps_one_that_shows_text()
    {
        var run = new Run(["<end>"]);

        Assert.Equal(["Hi"], run.Push("Hi"));
        Assert.Equal([], run.Push("!<e"));
        Assert.Equal(["!<e"], run.Push("nd>")); // "!" showed, so its token stays; "nd>" never shows
        Assert.Equal("Hi!", run.Text.ToString());

        var clean = new Run(["<end>"]);
        Assert.Equal(["Hi"], clean.Push("Hi"));
        Assert.Equal([], clean.Push("<e"));
        Assert.Equal([], clean.Push("nd>"));
        Assert.Equal("Hi", clean.Text.ToString());
    }

    [Fact]
    public void The_end_of_generation_lets_out_what_was_held_with_its_tokens()
    {
        var run = new Run(["<end>"]);

        Assert.Equal(["Hi"], run.Push("Hi"));
        Assert.Equal([], run.Push(" <e"));
        Assert.Equal([" <e"], run.Finish(stopped: false));
        Assert.Equal("Hi <e", run.Text.ToString());
    }

    /// <summary>The decode loop's path for one sequence: bytes to characters, the stop matcher, then the entries.</summary>
    private sealed class Run(IReadOnlyList<string> stops)
    {
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        private readonly StopSequenceMatcher _matcher = new(stops);
        private readonly LogprobStream _logprobs = new();

        public StringBuilder Text { get; } = new();
        public List<int> Offsets { get; } = [];

        public List<string> Push(string token) => Push(Encoding.UTF8.GetBytes(token));

        public List<string> Push(byte[] bytes)
        {
            var chars = new char[8];
            var decoded = new string(chars, 0, _decoder.GetChars(bytes, chars, flush: false));
            var text = _matcher.Push(decoded);
            var entry = new SampledTokenLogprob(new LogprobCandidate(Encoding.UTF8.GetString(bytes), bytes, -1f), [], _logprobs.DecodedCharacters);
            _logprobs.Add(entry, decoded.Length);
            Text.Append(text);
            return Out(_logprobs.Release(text.Length, _matcher.Stopped));
        }

        public List<string> Finish(bool stopped)
        {
            var rest = stopped ? string.Empty : _matcher.Flush();
            Text.Append(rest);
            return Out(_logprobs.Flush(rest.Length));
        }

        private List<string> Out(List<SampledTokenLogprob> entries)
        {
            Offsets.AddRange(entries.Select(entry => entry.TextOffset));
            return entries.Select(entry => entry.Sampled.Text).ToList();
        }
    }
}
