using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.Prompts;

/// <summary>A prompt as the store and <c>/v1/prompts</c> give it.</summary>
public sealed record PromptRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary><c>system</c> or <c>template</c>.</summary>
    public required string Kind { get; init; }
    public required string Text { get; init; }

    /// <summary>Seeded by the gateway; cannot be changed or deleted.</summary>
    public bool BuiltIn { get; init; }

    /// <summary>With accounts: an admin's prompt that everyone reads; only admins change it.</summary>
    public bool Shared { get; init; }

    /// <summary>True when this caller cannot change or delete it (built in, or someone else's shared prompt).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The <c>{placeholders}</c> in <see cref="Text"/>, in order.</summary>
    public IReadOnlyList<string> Variables { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Body of <c>POST /v1/prompts</c> (id optional: made from the name) and <c>PUT /v1/prompts/{id}</c> (id ignored).</summary>
public sealed record PromptDraft
{
    public string? Id { get; init; }
    public string? Name { get; init; }

    /// <summary><c>system</c> (the default) or <c>template</c>.</summary>
    public string? Kind { get; init; }
    public string? Text { get; init; }

    /// <summary>With accounts: share with everyone, read-only to others (admins only). Null on PUT keeps it.</summary>
    public bool? Shared { get; init; }
}

public sealed record PromptList(IReadOnlyList<PromptRecord> Data);

/// <summary>Body of <c>POST /v1/prompts/{id}/render</c>.</summary>
public sealed record RenderPromptRequest(Dictionary<string, string>? Variables);

public sealed record RenderPromptResponse(string Text);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PromptRecord))]
[JsonSerializable(typeof(PromptDraft))]
[JsonSerializable(typeof(PromptList))]
[JsonSerializable(typeof(RenderPromptRequest))]
[JsonSerializable(typeof(RenderPromptResponse))]
public sealed partial class PromptsJsonContext : JsonSerializerContext;
