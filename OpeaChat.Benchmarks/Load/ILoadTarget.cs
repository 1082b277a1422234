using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Load;

/// <summary>Where the numbers of one target come from, written into the results beside them.</summary>
public static class TokenCountSources
{
    /// <summary>The server's <c>usage</c> (OpenAI <c>stream_options.include_usage</c>).</summary>
    public const string Usage = "usage";

    /// <summary>Text events of a stream that has no usage (OPEA): one event is one token piece.</summary>
    public const string Events = "events";

    /// <summary>Counted by the benchmark's own tokenizer or decode loop (in-process).</summary>
    public const string Exact = "exact";
}

/// <summary>What a target says about itself once started.</summary>
public sealed record TargetInfo(string? Model, TargetSettings? Settings);

/// <summary>Settings of the engine behind a target, where known (in-process: the flags; inference: <c>/v1/models</c>).</summary>
public sealed record TargetSettings(
    int? Threads, int? BatchThreads, int? ContextSize, int? MaxParallelSequences, int? SequenceContextSize, int? BatchSize, bool? FlashAttention);

/// <summary>
/// The timings of one request, as <see cref="System.Diagnostics.Stopwatch"/> timestamps. A request with an
/// <see cref="Error"/> counts as an error whatever else it holds.
/// </summary>
public readonly record struct RequestSample(long Start, long? FirstToken, long End, int OutputTokens, int? PromptTokens, string? Error)
{
    public static RequestSample Failed(long start, long end, string error, int outputTokens = 0) => new(start, null, end, outputTokens, null, error);
}

/// <summary>A system under test: the gateway, an OpenAI-compatible server, or LLamaSharp in this process.</summary>
public interface ILoadTarget : IAsyncDisposable
{
    /// <summary>chatqna, openai or inprocess.</summary>
    string Kind { get; }

    /// <summary>The URL, or the model file for in-process.</summary>
    string Address { get; }

    /// <summary>How output tokens are counted (<see cref="TokenCountSources"/>).</summary>
    string OutputTokensSource { get; }

    /// <summary>Connects or loads; fails when the target cannot serve.</summary>
    Task<TargetInfo> StartAsync(CancellationToken cancellationToken);

    /// <summary>The prompt's length in tokens as the target counts it (template included).</summary>
    Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken);

    /// <summary>Sends one streamed request and times it. Failures come back as a sample with an error, never as an exception.</summary>
    Task<RequestSample> SendAsync(string prompt, LoadWorkload workload, CancellationToken cancellationToken);
}
