namespace OpeaChat.ChatQnA.Data;

/// <summary>A reusable system prompt or prompt template; built-in ones are seeded at start and read-only.</summary>
public sealed class Prompt
{
    /// <summary>A slug such as <c>opea-chatqna</c>.</summary>
    public required string Id { get; set; }

    public required string Name { get; set; }

    /// <summary><c>system</c> or <c>template</c> (<see cref="PromptKinds"/>).</summary>
    public required string Kind { get; set; }

    public required string Text { get; set; }

    public bool BuiltIn { get; set; }

    /// <summary>The account that made it; null for built-in prompts and those made in local mode.</summary>
    public string? OwnerId { get; set; }

    /// <summary>Readable by everyone, writable by admins only (only admins share prompts).</summary>
    public bool Shared { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public static class PromptKinds
{
    /// <summary>Text sent as the system message.</summary>
    public const string System = "system";

    /// <summary>Text with <c>{variable}</c> placeholders (such as <c>{context}</c> and <c>{question}</c>) filled per turn.</summary>
    public const string Template = "template";

    public static IReadOnlyList<string> All { get; } = [System, Template];
}
