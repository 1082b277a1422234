using System.ComponentModel.DataAnnotations;

namespace OpeaChat.ChatQnA.Dataprep;

/// <summary>Limits and defaults of document ingestion; bound from <c>ChatQnA:Dataprep</c>.</summary>
public sealed class DataprepOptions
{
    public const string SectionName = "ChatQnA:Dataprep";

    /// <summary>Largest file accepted (413 beyond it).</summary>
    [Range(1_024, 4L * 1024 * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Largest <c>/v1/dataprep/ingest</c> request, all files together (413 beyond it).</summary>
    [Range(1_024, 8L * 1024 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 200 * 1024 * 1024;

    /// <summary>Most files and links in one request.</summary>
    [Range(1, 10_000)]
    public int MaxItemsPerRequest { get; set; } = 100;

    /// <summary>Most pages read from one PDF (422 beyond it).</summary>
    [Range(1, 1_000_000)]
    public int MaxPages { get; set; } = 2_000;

    /// <summary>Most characters of text one document may hold (422 beyond it).</summary>
    [Range(1_000, 1_000_000_000)]
    public int MaxCharacters { get; set; } = 10_000_000;

    /// <summary>Links may point at loopback, private and link-local addresses (off: see docs/security.md, SSRF).</summary>
    public bool AllowPrivateLinks { get; set; }

    /// <summary>How long one link may take to answer and send its page.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LinkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest page a link may send.</summary>
    [Range(1_024, 1024L * 1024 * 1024)]
    public long MaxLinkBytes { get; set; } = 20 * 1024 * 1024;

    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Chunks sent to the embedding model in one request.</summary>
    [Range(1, 256)]
    public int EmbeddingBatchSize { get; set; } = 32;

    /// <summary>Documents waiting to be chunked and embedded; beyond this, ingest answers 503.</summary>
    [Range(1, 100_000)]
    public int MaxQueuedDocuments { get; set; } = 1_000;
}

/// <summary>OPEA's dataprep defaults (GenAIComps <c>comps/dataprep</c>).</summary>
public static class DataprepDefaults
{
    public const int ChunkSize = 1500;
    public const int ChunkOverlap = 100;
    public const int MinChunkSize = 50;
    public const int MaxChunkSize = 100_000;
}
