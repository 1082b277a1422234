using System.Threading.Channels;
using LLama;
using LLama.Batched;
using LLama.Native;
using LLama.Sampling;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Inference.Engine;

/// <summary>A request taken by the decode loop, with where its updates go and when it arrived.</summary>
internal sealed record PendingGeneration(GenerationRequest Request, ChannelWriter<GenerationUpdate> Updates, long EnqueuedAt);

/// <summary>A running request: its conversation in the batch, its sampler and the state of its reply.</summary>
internal sealed class ActiveSequence(PendingGeneration pending, Conversation conversation, ISamplingPipeline sampler, StreamingTokenDecoder decoder, int reusedTokens)
{
    public PendingGeneration Pending { get; } = pending;
    public Conversation Conversation { get; } = conversation;
    /// <summary>Replaced once when a lazy grammar's trigger is written (see <see cref="LazyGrammarWatch"/>).</summary>
    public ISamplingPipeline Sampler { get; set; } = sampler;
    public LazyGrammarWatch? LazyGrammarWatch { get; } = pending.Request.LazyGrammar is { } lazy ? new LazyGrammarWatch(lazy) : null;
    public StreamingTokenDecoder Decoder { get; } = decoder;
    public StopSequenceMatcher StopMatcher { get; } = new(pending.Request.StopSequences);
    public int ReusedTokens { get; } = reusedTokens;

    /// <summary>Where the tokens' log-probabilities wait for their text, when the request asked for them.</summary>
    public LogprobStream? Logprobs { get; } = pending.Request.TopLogprobs is null ? null : new LogprobStream();

    /// <summary>The tokens held in this sequence's KV cache: the prompt, then every generated token fed back.</summary>
    public List<LLamaToken> Tokens { get; } = [.. pending.Request.PromptTokens];

    public int CompletionTokens { get; set; }
    public long? FirstTokenAt { get; set; }
}
