using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.OpenAi;

public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody
{
    public required string Message { get; init; }
    public required string Type { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }

    /// <summary>llama-server's extension on context errors: the prompt's token count…</summary>
    public int? NPromptTokens { get; init; }

    /// <summary>…and the context one request may use.</summary>
    public int? NCtx { get; init; }

    /// <summary>OpeaChat's extension on a model pull's <c>quantization_not_found</c>: the quantisations (or files) the repository has.</summary>
    public IReadOnlyList<string>? Available { get; init; }
}
