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
    private long _generatedTokens;

    /// <summary>Tokens generated since the model was loaded, readable from any thread.</summary>
    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    public static DefaultSamplingPipeline CreatePipeline(SamplingSettings settings) => new()
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
        Grammar = settings.Grammar is null ? null : new Grammar(settings.Grammar, "root"),
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
        if (text.Length > 0)
        {
            sequence.Pending.Updates.TryWrite(new GenerationUpdate(text, null));
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
