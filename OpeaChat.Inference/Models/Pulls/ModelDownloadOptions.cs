using System.ComponentModel.DataAnnotations;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>How pulls reach the Hugging Face hub and how hard they try, bound from <c>Inference:Download</c>.</summary>
public sealed class ModelDownloadOptions
{
    public const string SectionName = "Inference:Download";

    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The hub; empty: the environment variable <c>HF_ENDPOINT</c> (as huggingface_hub and llama.cpp read it), else huggingface.co.</summary>
    [Url]
    public string? Endpoint { get; set; }

    /// <summary>A hub token for private and gated repositories; empty: the environment variable <c>HF_TOKEN</c>. Never logged.</summary>
    public string? Token { get; set; }

    /// <summary>Tries per file when the network fails or the hub answers 5xx; a try that fetched bytes does not count.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A download that receives nothing for this long is dropped and tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Free space that must remain on the models folder's disk after the download.</summary>
    [Range(0, long.MaxValue)]
    public long FreeSpaceMarginBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>How long an ended pull stays in <c>GET /v1/models/pulls</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan KeepEndedFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most often a progress event is sent (one is also sent at each whole percent).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>A model offered in <c>GET /v1/models/recommended</c>, bound from <c>Inference:RecommendedModels</c>.</summary>
public sealed class RecommendedModelOptions
{
    [Required]
    public string Model { get; set; } = "";

    [Required]
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary><c>chat</c> or <c>embeddings</c>.</summary>
    [RegularExpression("^(chat|embeddings)$")]
    public string Purpose { get; set; } = "chat";

    public long SizeBytes { get; set; }

    public long MemoryBytes { get; set; }

    [Required]
    public string License { get; set; } = "";

    public string? LicenseUrl { get; set; }
}

/// <summary>Free bytes on the disk that holds a folder; a test can play a full disk.</summary>
public interface IFreeSpaceProbe
{
    long AvailableBytes(string directory);
}

public sealed class DriveFreeSpaceProbe : IFreeSpaceProbe
{
    public long AvailableBytes(string directory) => new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;
}
