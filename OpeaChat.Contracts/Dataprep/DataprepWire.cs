using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.Dataprep;

// OPEA's dataprep contract (GenAIComps comps/dataprep: /v1/dataprep/ingest, /get, /delete), with OpeaChat's own fields
// added to the listed files (status, chunks, bytes, ingested_at). snake_case through DataprepJsonContext.

/// <summary>OPEA's success body of <c>POST /v1/dataprep/ingest</c>: <c>{"status":200,"message":"Data preparation succeeded"}</c>.</summary>
public sealed record DataprepResult(int Status, string Message)
{
    public const string SucceededMessage = "Data preparation succeeded";

    /// <summary>OpeaChat's: the documents queued by this request, to follow their progress.</summary>
    public IReadOnlyList<DataprepFile>? Files { get; init; }
}

/// <summary>Body of <c>POST /v1/dataprep/get</c>; OPEA's UI sends none at all.</summary>
public sealed record DataprepGetRequest
{
    public string? IndexName { get; init; }
}

/// <summary>Body of <c>POST /v1/dataprep/delete</c>: a document's id or name, or <c>all</c>.</summary>
public sealed record DataprepDeleteRequest
{
    public string? FilePath { get; init; }
    public string? IndexName { get; init; }

    /// <summary>
    /// With accounts on, whether a name or <c>all</c> means the shared collection (admins) rather than one's own; an id
    /// needs no kind. Null: one's own for a person, the shared for a service key.
    /// </summary>
    public bool? Shared { get; init; }
}

/// <summary>
/// Body of <c>POST /v1/dataprep/share</c> (OpeaChat's, not OPEA's): an admin's own collection, to become the shared
/// collection of that name, read by everyone.
/// </summary>
public sealed record DataprepShareRequest
{
    public string? IndexName { get; init; }
}

/// <summary>The answer to a share: how many documents are now shared.</summary>
public sealed record DataprepShareResult(bool Status, int Documents);

/// <summary>OPEA's answer to a delete: <c>{"status":true}</c>.</summary>
public sealed record DataprepDeleteResult(bool Status);

/// <summary>One ingested file or link, as <c>/v1/dataprep/get</c> lists it.</summary>
public sealed record DataprepFile
{
    /// <summary>The file name, or the link's URL.</summary>
    public required string Name { get; init; }

    public required string Id { get; init; }

    /// <summary><see cref="DocumentTypes.File"/> or <see cref="DocumentTypes.Link"/>.</summary>
    public required string Type { get; init; }

    /// <summary>OPEA's folder field; OpeaChat keeps no folders, so always empty.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string Parent { get; init; } = string.Empty;

    public required string IndexName { get; init; }

    /// <summary>
    /// Whether it is in a shared collection (read by everyone, changed by admins) rather than its owner's own. In
    /// local mode, with no accounts, every document is shared.
    /// </summary>
    public bool Shared { get; init; }

    /// <summary>One of <see cref="DocumentStatuses"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Why ingestion failed (with <see cref="DocumentStatuses.Failed"/>).</summary>
    public string? Error { get; init; }

    /// <summary>The detected format: txt, md, html, pdf, docx, csv, json or jsonl.</summary>
    public string? Format { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int Chunks { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long Bytes { get; init; }

    /// <summary>Pages read (PDF); null for formats without pages.</summary>
    public int? Pages { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it became searchable; null until then.</summary>
    public DateTimeOffset? IngestedAt { get; init; }
}

public static class DocumentTypes
{
    public const string File = "File";
    public const string Link = "Link";
}

/// <summary>A document's progress: queued → parsed → chunked → embedded → searchable, or failed with the reason.</summary>
public static class DocumentStatuses
{
    public const string Queued = "queued";
    public const string Parsed = "parsed";
    public const string Chunked = "chunked";
    public const string Embedded = "embedded";
    public const string Searchable = "searchable";
    public const string Failed = "failed";

    public static bool IsFinished(string status) => status is Searchable or Failed;
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DataprepResult))]
[JsonSerializable(typeof(DataprepGetRequest))]
[JsonSerializable(typeof(DataprepDeleteRequest))]
[JsonSerializable(typeof(DataprepDeleteResult))]
[JsonSerializable(typeof(DataprepShareRequest))]
[JsonSerializable(typeof(DataprepShareResult))]
[JsonSerializable(typeof(DataprepFile))]
[JsonSerializable(typeof(IReadOnlyList<DataprepFile>))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class DataprepJsonContext : JsonSerializerContext;
