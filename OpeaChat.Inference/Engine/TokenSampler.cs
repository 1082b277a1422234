using System.Diagnostics;
using LLama;
using LLama.Batched;
using LLama.Native;
using LLama.Sampling;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// Sampling: the pipeline a request's sampling settings ask for, and each next token of a sequence whose logits are
/// ready, turned into text (held back while it may be the start of a stop sequence) and checked against the ends of
/// generation: the model's end token, a stop sequence, the token limit.
/// </summary>
internal sealed class TokenSampler(string modelId, LLamaWeights weights, InferenceMetrics metrics)
{
    private readonly LogprobCalculator _logprobs = new(weights);
    private long _generatedTokens;

    /// <summary>Tokens generated since the model was loaded, readable from any thread.</summary>
    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    public static ISamplingPipeline CreatePipeline(SamplingSettings settings) =>
        settings.Grammar is null ? CreateFreePipeline(settings) : new GrammarSamplingPipeline(settings, settings.Grammar);

    private static DefaultSamplingPipeline CreateFreePipeline(SamplingSettings settings) => new()
    {
        Temperature = settings.Temperature,
        TopP = settings.TopP,
        TopK = settings.TopK,
        MinP = settings.MinP,
        RepeatPenalty = settings.RepeatPenalty,
        FrequencyPenalty = settings.FrequencyPenalty,
        PresencePenalty = settings.PresencePenalty,
        Seed = settings.Seed,
        PreventEOS = settings.IgnoreEndOfGeneration,
    };

    /// <summary>
    /// Samples the sequence's next token and sends its text. Returns the finish reason when the sequence ends here;
    /// null when it goes on, with the token fed back to be decoded in the next step.
    /// </summary>
    public string? SampleNext(ActiveSequence sequence)
    {
        var request = sequence.Pending.Request;
        if (request.CancellationToken.IsCancellationRequested)
        {
            return GenerationResult.Cancelled;
        }

        // The model's own distribution, read before the sampler runs (it works on a copy, so the logits stay as they are).
        var logits = request.TopLogprobs is null
            ? default
            : sequence.Conversation.Executor.Context.NativeHandle.GetLogitsIth(sequence.Conversation.GetSampleIndex());
        var measured = request.TopLogprobs is { } top ? _logprobs.Measure(logits, top) : default;
        var token = sequence.Conversation.Sample(sequence.Sampler);
        if (token.IsEndOfGeneration(weights.Vocab) && !request.Sampling.IgnoreEndOfGeneration)
        {
            return Contracts.OpenAi.FinishReasons.Stop;
        }

        if (sequence.CompletionTokens == 0)
        {
            var firstTokenAt = Stopwatch.GetTimestamp();
            sequence.FirstTokenAt = firstTokenAt;
            metrics.RecordFirstToken(modelId, Stopwatch.GetElapsedTime(sequence.Pending.EnqueuedAt, firstTokenAt));
        }

        sequence.CompletionTokens++;
        Interlocked.Increment(ref _generatedTokens);
        metrics.RecordToken(modelId);
        sequence.Decoder.Add(token);
        var piece = sequence.Decoder.Read();
        if (sequence.LazyGrammarWatch?.Observe(piece) is { } grammar)
        {
            // From here on the reply is held to the grammar; the old pipeline's penalty history goes with it.
            sequence.Sampler.Dispose();
            sequence.Sampler = CreatePipeline(request.Sampling with { Grammar = grammar, Seed = unchecked(request.Sampling.Seed + (uint)sequence.CompletionTokens) });
        }

        var text = sequence.StopMatcher.Push(piece);
        List<SampledTokenLogprob>? released = null;
        if (sequence.Logprobs is { } logprobs)
        {
            var sampled = _logprobs.Candidate(token, (float)(logits[(int)token] - measured.LogSumExp));
            logprobs.Add(new SampledTokenLogprob(sampled, measured.Top, logprobs.DecodedCharacters), piece.Length);
            released = logprobs.Release(text.Length, sequence.StopMatcher.Stopped);
        }

        if (text.Length > 0 || released is { Count: > 0 })
        {
            sequence.Pending.Updates.TryWrite(new GenerationUpdate(text, null, released));
        }

        if (sequence.StopMatcher.Stopped)
        {
            return Contracts.OpenAi.FinishReasons.Stop;
        }

        if (sequence.CompletionTokens >= request.MaxTokens)
        {
            return Contracts.OpenAi.FinishReasons.Length;
        }

        sequence.Conversation.Prompt(token);
        sequence.Tokens.Add(token);
        return null;
    }
}
