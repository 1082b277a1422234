namespace OpeaChat.Benchmarks.Load;

/// <summary>Sampling fields sent to every target alike (OPEA's LLM defaults unless told otherwise).</summary>
public sealed record SamplingSpec(float Temperature = 0.01f, float TopP = 0.95f, int TopK = 10, float RepeatPenalty = 1.03f, long Seed = 42);

/// <summary>
/// What every user sends: <see cref="RequestsPerUser"/> streamed chat requests one after another, each with a prompt
/// of <see cref="PromptTokens"/> tokens (a repeated sentence, calibrated per target) that asks for exactly
/// <see cref="MaxTokens"/> tokens (<c>ignore_eos</c>), at each concurrency in <see cref="Users"/>.
/// </summary>
public sealed record LoadWorkload
{
    public required IReadOnlyList<int> Users { get; init; }
    public int RequestsPerUser { get; init; } = 4;

    /// <summary>How many times the whole sweep (every level, every target in turn) runs; levels pool their rounds.</summary>
    public int Rounds { get; init; } = 1;
    public int PromptTokens { get; init; } = 128;
    public int MaxTokens { get; init; } = 64;

    /// <summary>
    /// Requests sent one at a time before measuring each target, not counted: connections, caches, and the .NET JIT's
    /// tier-up of the per-token paths in the services (a freshly started service recompiles hot methods for a while).
    /// </summary>
    public int WarmupRequests { get; init; } = 3;
    public SamplingSpec Sampling { get; init; } = new();
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The <c>cache_prompt</c> field; null (default) leaves it out, so the server does what it does for any client.
    /// Prompts never share a prefix, so nothing is reused either way, but a server may keep finished requests cached.
    /// </summary>
    public bool? CachePrompt { get; init; }

    public IEnumerable<string> Problems()
    {
        if (Users.Count == 0 || Users.Any(users => users < 1))
        {
            yield return "users must be a list of counts of at least 1.";
        }

        if (Users.Distinct().Count() != Users.Count)
        {
            yield return "each user count may appear once (use rounds to repeat a level).";
        }

        if (Rounds < 1)
        {
            yield return "rounds must be at least 1.";
        }

        if (RequestsPerUser < 1)
        {
            yield return "requests per user must be at least 1.";
        }

        if (MaxTokens < 1)
        {
            yield return "max tokens must be at least 1.";
        }

        if (PromptTokens < 1)
        {
            yield return "prompt tokens must be at least 1.";
        }
    }
}

/// <summary>The prompt of one request: its text and its number in the run.</summary>
public sealed record LoadPrompt(int Number, string Text);
