using System.Buffers;
using System.Diagnostics;
using LLama.Native;
using LLama.Sampling;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// Sampling held to a GBNF grammar, the request's samplers in LLamaSharp's <c>DefaultSamplingPipeline</c> order with the
/// grammar first. Applying a grammar to the whole vocabulary (every token's text through every parse stack) is what
/// makes constrained decoding slow, so it is done only where needed:
/// <list type="bullet">
/// <item>The samplers pick a token freely and only that token is checked against the grammar; when it passes it is the
/// pick (as llama.cpp's common sampler does: a token the grammar allows then has the probability the grammar-held
/// chain would give it). Only a refused pick applies the grammar to every token and picks again.</item>
/// <item>Which tokens the grammar allows next depends only on the text so far, not on the model's logits. So after a
/// refused pick (the reply is in a stretch the grammar dictates, such as a JSON object's keys), the next position's
/// allowed tokens are worked out on another core while the model decodes, whenever that work has been shorter than
/// the decode: the next pick then costs no more than an unconstrained one.</item>
/// </list>
/// </summary>
public sealed class GrammarSamplingPipeline(SamplingSettings settings, string gbnf) : ISamplingPipeline
{
    private const int PenaltyWindow = 64;

    // Without a spare core the work would only move, not overlap.
    private static readonly bool HasSpareCore = Environment.ProcessorCount > 1;

    private Chains? _chains;
    private Task<bool[]>? _nextAllowed;
    private long _lastSampledAt;
    private double _wholeVocabularyTicks;
    private double _betweenSamplesTicks;

    /// <summary>How the picks were made: the free pick allowed, from allowed tokens worked out ahead, by the grammar over the whole vocabulary.</summary>
    public (int Free, int Ahead, int Whole) Picks { get; private set; }

    public LLamaToken Sample(SafeLLamaContextHandle ctx, int index)
    {
        var chains = _chains ??= new Chains(ctx, settings, gbnf);
        var startedAt = Stopwatch.GetTimestamp();
        if (_lastSampledAt != 0)
        {
            _betweenSamplesTicks = Average(_betweenSamplesTicks, startedAt - _lastSampledAt);
        }

        var allowed = TakeAllowedAhead();
        var logits = ctx.GetLogitsIth(index);
        var buffer = ArrayPool<LLamaTokenData>.Shared.Rent(logits.Length);
        try
        {
            LLamaToken token;
            var refused = false;
            if (allowed is not null)
            {
                // Holding the pick to tokens already known to be allowed costs no more than picking freely.
                token = Pick(chains, logits, buffer, allowed, wholeGrammar: false);
                // Keep working ahead while the grammar overrules the model's own first choice.
                refused = !allowed[MostLikely(logits)];
                Picks = Picks with { Ahead = Picks.Ahead + 1 };
            }
            else if (chains.Grammar.Allows(token = Pick(chains, logits, buffer, allowed: null, wholeGrammar: false)))
            {
                Picks = Picks with { Free = Picks.Free + 1 };
            }
            else
            {
                refused = true;
                var wholeAt = Stopwatch.GetTimestamp();
                token = Pick(chains, logits, buffer, allowed: null, wholeGrammar: true);
                _wholeVocabularyTicks = Average(_wholeVocabularyTicks, Stopwatch.GetTimestamp() - wholeAt);
                Picks = Picks with { Whole = Picks.Whole + 1 };
            }

            chains.Accept(token);
            if (refused && HasSpareCore && _wholeVocabularyTicks < _betweenSamplesTicks / 2)
            {
                var grammar = chains.Grammar;
                var vocabularySize = logits.Length;
                _nextAllowed = Task.Run(() => grammar.AllowedTokens(vocabularySize));
            }

            return token;
        }
        finally
        {
            ArrayPool<LLamaTokenData>.Shared.Return(buffer);
            _lastSampledAt = Stopwatch.GetTimestamp();
        }
    }

    public void Apply(SafeLLamaContextHandle ctx, LLamaTokenDataArray data)
    {
        var chains = _chains ??= new Chains(ctx, settings, gbnf);
        _ = TakeAllowedAhead();
        using (LLamaTokenDataArrayNative.Create(data, out var native))
        {
            chains.Penalties.Apply(ref native);
            chains.Grammar.Apply(ref native);
            chains.Rest.Apply(ref native);
        }
    }

    public void Accept(LLamaToken token)
    {
        _ = TakeAllowedAhead();
        _chains?.Accept(token);
    }

    public void Reset()
    {
        _ = TakeAllowedAhead();
        _chains?.Reset();
    }

    public void Dispose()
    {
        _ = TakeAllowedAhead();
        _chains?.Dispose();
        _chains = null;
    }

    /// <summary>The request's samplers over a fresh copy of the logits, held to <paramref name="allowed"/> or to the grammar when given.</summary>
    private static LLamaToken Pick(Chains chains, Span<float> logits, LLamaTokenData[] buffer, bool[]? allowed, bool wholeGrammar)
    {
        var candidates = LLamaTokenDataArray.Create(logits, buffer.AsMemory(0, logits.Length));
        using (LLamaTokenDataArrayNative.Create(candidates, out var native))
        {
            chains.Penalties.Apply(ref native);
            if (allowed is not null)
            {
                foreach (ref var candidate in native.Data)
                {
                    if (!allowed[(int)candidate.ID])
                    {
                        candidate.Logit = float.NegativeInfinity;
                    }
                }
            }
            else if (wholeGrammar)
            {
                chains.Grammar.Apply(ref native);
            }

            chains.Rest.Apply(ref native);
            return native.Data[checked((int)native.Selected)].ID;
        }
    }

    /// <summary>The allowed tokens worked out ahead, once their work is done (the grammar is not touched while it runs).</summary>
    private bool[]? TakeAllowedAhead()
    {
        if (_nextAllowed is not { } next)
        {
            return null;
        }

        _nextAllowed = null;
        return next.GetAwaiter().GetResult();
    }

    private static int MostLikely(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var id = 1; id < logits.Length; id++)
        {
            if (logits[id] > logits[best])
            {
                best = id;
            }
        }

        return best;
    }

    private static double Average(double average, long sample) => average == 0 ? sample : (average * 7 + sample) / 8;

    /// <summary>The native samplers: repetition penalties, the grammar, and the rest of the request's chain.</summary>
    private sealed class Chains : IDisposable
    {
        public Chains(SafeLLamaContextHandle ctx, SamplingSettings settings, string gbnf)
        {
            Penalties = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
            Penalties.AddPenalties(PenaltyWindow, settings.RepeatPenalty, settings.FrequencyPenalty, settings.PresencePenalty);
            Grammar = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
            Grammar.AddGrammar(ctx.ModelHandle.Vocab, gbnf, "root");
            Rest = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
            Rest.AddTopK(settings.TopK);
            Rest.AddTypical(1, 1);
            Rest.AddTopP(settings.TopP, 1);
            Rest.AddMinP(settings.MinP, 1);
            Rest.AddTemperature(settings.Temperature);
            Rest.AddDistributionSampler(settings.Seed);
        }

        public SafeLLamaSamplerChainHandle Penalties { get; }
        public SafeLLamaSamplerChainHandle Grammar { get; }
        public SafeLLamaSamplerChainHandle Rest { get; }

        public void Accept(LLamaToken token)
        {
            Penalties.Accept(token);
            Grammar.Accept(token);
            Rest.Accept(token);
        }

        public void Reset()
        {
            Penalties.Reset();
            Grammar.Reset();
            Rest.Reset();
        }

        public void Dispose()
        {
            Penalties.Dispose();
            Grammar.Dispose();
            Rest.Dispose();
        }
    }
}

internal static class GrammarChainExtensions
{
    /// <summary>Whether the grammar, in its present state, allows <paramref name="token"/> next.</summary>
    public static bool Allows(this SafeLLamaSamplerChainHandle grammar, LLamaToken token)
    {
        var single = new LLamaTokenDataArray(new[] { new LLamaTokenData(token, 1, 0) }, isSorted: true);
        using (LLamaTokenDataArrayNative.Create(single, out var native))
        {
            grammar.Apply(ref native);
            return !float.IsNegativeInfinity(native.Data[0].Logit);
        }
    }

    /// <summary>Every token the grammar, in its present state, allows next (indexed by token id).</summary>
    public static bool[] AllowedTokens(this SafeLLamaSamplerChainHandle grammar, int vocabularySize)
    {
        var candidates = new LLamaTokenData[vocabularySize];
        for (var id = 0; id < vocabularySize; id++)
        {
            candidates[id] = new LLamaTokenData(id, 0, 0);
        }

        using (LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(candidates), out var native))
        {
            grammar.Apply(ref native);
        }

        var allowed = new bool[vocabularySize];
        foreach (var candidate in candidates)
        {
            allowed[(int)candidate.ID] = !float.IsNegativeInfinity(candidate.Logit);
        }

        return allowed;
    }
}
