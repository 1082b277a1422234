using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.OpenAi;

/// <summary>The legacy text completion: a raw prompt, no chat template.</summary>
public sealed record CompletionRequest : GenerationParameters
{
    public PromptText? Prompt { get; init; }

    /// <summary>The legacy shape: how many (0 to 5) most likely tokens to list at each position; 0 gives the sampled token's alone.</summary>
    public int? Logprobs { get; init; }
}

/// <summary>OpenAI's <c>prompt</c>/<c>input</c>: a string or a list of strings.</summary>
[JsonConverter(typeof(PromptTextConverter))]
public sealed record PromptText(IReadOnlyList<string> Values);

public sealed record CompletionResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "text_completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<CompletionChoice> Choices { get; init; }
    public Usage? Usage { get; init; }
}

public sealed record CompletionChoice
{
    public int Index { get; init; }
    public required string Text { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
    public CompletionLogprobs? Logprobs { get; init; }
}
