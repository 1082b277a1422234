using LLama;
using LLama.Native;

namespace OpeaChat.Inference.Engine;

/// <summary>A token as the reply shows it, and its log-probability at one position.</summary>
/// <param name="Text">The token's piece (UTF-8 decoded; a piece holding part of a character shows U+FFFD).</param>
/// <param name="Bytes">The piece's own bytes: several tokens may spell one character between them.</param>
public readonly record struct LogprobCandidate(string Text, byte[] Bytes, float Logprob);

/// <summary>A generated token's log-probability, the most likely tokens at its position, and where its text starts.</summary>
/// <param name="Top">The most likely tokens at this position, most likely first (as many as the request asked).</param>
/// <param name="TextOffset">The character offset in the generated text where this token's text starts.</param>
public sealed record SampledTokenLogprob(LogprobCandidate Sampled, IReadOnlyList<LogprobCandidate> Top, int TextOffset);

/// <summary>
/// Log-probabilities as OpenAI reports them: the log-softmax of the model's raw logits at a position, before the
/// sampler's temperature, penalties or grammar change them. Only computed when a request asks.
/// </summary>
internal sealed class LogprobCalculator(LLamaWeights weights)
{
    // Pieces by token id, made on the first request that asks and filled as tokens are met; only the decode loop's
    // thread reads and writes them.
    private (string Text, byte[] Bytes)?[]? _pieces;

    /// <summary>The log-sum-exp of the logits (the softmax's normaliser) and the <paramref name="count"/> largest, most likely first.</summary>
    public (double LogSumExp, LogprobCandidate[] Top) Measure(ReadOnlySpan<float> logits, int count)
    {
        var logSumExp = LogprobMath.LogSumExp(logits);
        Span<int> ids = stackalloc int[count];
        var found = LogprobMath.SelectLargest(logits, ids);
        var top = new LogprobCandidate[found];
        for (var i = 0; i < found; i++)
        {
            top[i] = Candidate(ids[i], (float)(logits[ids[i]] - logSumExp));
        }

        return (logSumExp, top);
    }

    public LogprobCandidate Candidate(LLamaToken token, float logprob)
    {
        var id = (int)token;
        _pieces ??= new (string, byte[])?[weights.Vocab.Count];
        var piece = _pieces[id] ??= Piece(token);
        return new LogprobCandidate(piece.Text, piece.Bytes, logprob);
    }

    /// <summary>The piece as the reply's decoder writes it (special tokens invisible), so the tokens spell the text.</summary>
    private (string Text, byte[] Bytes) Piece(LLamaToken token)
    {
        Span<byte> buffer = stackalloc byte[64];
        var length = (int)weights.NativeHandle.TokenToSpan(token, buffer);
        byte[] bytes;
        if (length <= buffer.Length)
        {
            bytes = buffer[..length].ToArray();
        }
        else
        {
            bytes = new byte[length];
            weights.NativeHandle.TokenToSpan(token, bytes);
        }

        return (System.Text.Encoding.UTF8.GetString(bytes), bytes);
    }
}

/// <summary>The arithmetic of log-probabilities over a vocabulary of logits.</summary>
public static class LogprobMath
{
    /// <summary>
    /// log(Σ exp(logit)), shifted by the largest logit so no exponential overflows; in double, so logit minus it keeps
    /// a float's precision even when the logits are large.
    /// </summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        var max = float.NegativeInfinity;
        foreach (var logit in logits)
        {
            max = Math.Max(max, logit);
        }

        var sum = 0.0;
        foreach (var logit in logits)
        {
            sum += Math.Exp(logit - max);
        }

        return max + Math.Log(sum);
    }

    /// <summary>
    /// Fills <paramref name="ids"/> with the indices of the largest values, largest first, in one pass that keeps only
    /// that many (no sort of the whole vocabulary). Ties keep the lower index first, as a greedy pick does.
    /// </summary>
    public static int SelectLargest(ReadOnlySpan<float> values, Span<int> ids)
    {
        var found = 0;
        for (var index = 0; index < values.Length && ids.Length > 0; index++)
        {
            var value = values[index];
            if (found == ids.Length && !(value > values[ids[found - 1]]))
            {
                continue;
            }

            var at = found == ids.Length ? found - 1 : found++;
            while (at > 0 && value > values[ids[at - 1]])
            {
                ids[at] = ids[at - 1];
                at--;
            }

            ids[at] = index;
        }

        return found;
    }
}

/// <summary>
/// Hands each token's log-probability out with the text that shows it. A token's entry goes out with the piece of text
/// that completes its characters: a token holding part of a multi-byte character waits for the token that finishes
/// it, and one whose text the stop-sequence matcher is holding back waits until that text is let out. When a stop
/// sequence cuts the text, tokens with at least one character before the cut are kept and tokens wholly inside the
/// stop sequence (or after it) are dropped, as their text never reaches the client.
/// </summary>
public sealed class LogprobStream
{
    private readonly Queue<(SampledTokenLogprob Entry, int? End)> _pending = new();
    private int _decoded;
    private int _emitted;

    /// <summary>Characters the decoder has produced so far: where the next token's text starts.</summary>
    public int DecodedCharacters => _decoded;

    /// <summary>A sampled token whose piece added <paramref name="characters"/> characters to the decoded text.</summary>
    public void Add(SampledTokenLogprob entry, int characters)
    {
        _decoded += characters;
        _pending.Enqueue((entry, null));
        if (characters > 0)
        {
            // This token ends every waiting token's characters, its own included.
            var count = _pending.Count;
            for (var i = 0; i < count; i++)
            {
                var (waiting, end) = _pending.Dequeue();
                _pending.Enqueue((waiting, end ?? _decoded));
            }
        }
    }

    /// <summary>The entries whose text is now all out, after <paramref name="characters"/> more were emitted.</summary>
    public List<SampledTokenLogprob> Release(int characters, bool stopped)
    {
        _emitted += characters;
        var released = new List<SampledTokenLogprob>();
        while (_pending.TryPeek(out var next) && next.End is { } end && end <= _emitted)
        {
            released.Add(_pending.Dequeue().Entry);
        }

        if (stopped)
        {
            while (_pending.TryDequeue(out var next))
            {
                if (next.Entry.TextOffset < _emitted)
                {
                    released.Add(next.Entry);
                }
            }
        }

        return released;
    }

    /// <summary>Every entry still waiting: generation ended without a stop sequence, so all of its text is out.</summary>
    public List<SampledTokenLogprob> Flush(int characters)
    {
        _emitted += characters;
        var released = new List<SampledTokenLogprob>(_pending.Count);
        while (_pending.TryDequeue(out var next))
        {
            released.Add(next.Entry);
        }

        return released;
    }
}
