using System.ComponentModel.DataAnnotations;

namespace OpeaChat.ChatQnA;

/// <summary>Gateway settings, bound from the <c>ChatQnA</c> configuration section.</summary>
public sealed class ChatQnAOptions
{
    public const string SectionName = "ChatQnA";

    /// <summary>Base address of the inference service; <c>http://inference</c> is resolved by service discovery.</summary>
    [Required]
    public Uri InferenceBaseUrl { get; set; } = new("http://inference");

    /// <summary>The model asked for when a request names none; null lets the inference service use its own.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>max_tokens when a request gives none (OPEA's default).</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>How long one inference attempt may take before the gateway gives up on it.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan InferenceAttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
