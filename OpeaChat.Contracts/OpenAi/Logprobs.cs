namespace OpeaChat.Contracts.OpenAi;

// OpenAI's log-probabilities: per generated token on chat completions, and the legacy lists on text completions.

/// <summary>A chat choice's (or streamed chunk's) <c>logprobs</c>: one entry per generated token.</summary>
public sealed record ChoiceLogprobs
{
    public IReadOnlyList<TokenLogprob>? Content { get; init; }
}

public sealed record TokenLogprob
{
    public required string Token { get; init; }
    public required float Logprob { get; init; }

    /// <summary>The token's UTF-8 bytes: a token may hold part of a character.</summary>
    public IReadOnlyList<int>? Bytes { get; init; }

    /// <summary>The most likely tokens at this position, most likely first (<c>top_logprobs</c> of them).</summary>
    public IReadOnlyList<TopLogprob> TopLogprobs { get; init; } = [];
}

public sealed record TopLogprob
{
    public required string Token { get; init; }
    public required float Logprob { get; init; }
    public IReadOnlyList<int>? Bytes { get; init; }
}

/// <summary>A text completion choice's <c>logprobs</c> (the legacy shape): parallel lists, one entry per token.</summary>
public sealed record CompletionLogprobs
{
    public IReadOnlyList<string> Tokens { get; init; } = [];
    public IReadOnlyList<float> TokenLogprobs { get; init; } = [];

    /// <summary>At each position, the <c>logprobs</c> most likely tokens and their log-probabilities.</summary>
    public IReadOnlyList<Dictionary<string, float>> TopLogprobs { get; init; } = [];

    /// <summary>Each token's character offset in the completion's text.</summary>
    public IReadOnlyList<int> TextOffset { get; init; } = [];
}
