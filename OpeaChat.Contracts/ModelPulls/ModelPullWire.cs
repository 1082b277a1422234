using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.ModelPulls;

/// <summary>
/// <c>POST /v1/models/pull</c>: fetch a GGUF from a Hugging Face hub into the models folder. The answer is the pull's
/// progress, as server-sent events (<c>text/event-stream</c>, the default) or NDJSON (<c>Accept: application/x-ndjson</c>),
/// one <see cref="ModelPullStatus"/> per event, ending with a <c>ready</c>, <c>failed</c> or <c>cancelled</c> one; with
/// <c>stream: false</c> one JSON <see cref="ModelPullStatus"/> when the pull has ended.
/// </summary>
public sealed record ModelPullRequest
{
    /// <summary><c>hf.co/&lt;org&gt;/&lt;repo&gt;[:&lt;quant or file&gt;]</c> or <c>&lt;org&gt;/&lt;repo&gt;[:&lt;quant&gt;]</c>; the quantisation defaults to <c>Q4_K_M</c>.</summary>
    public string? Model { get; init; }

    /// <summary>False: answer once, when the pull has ended. The pull itself goes on when a streaming client leaves.</summary>
    public bool? Stream { get; init; }
}

/// <summary>The stages of a pull, in order; the last three end it.</summary>
public static class ModelPullStages
{
    public const string Resolving = "resolving";
    public const string Downloading = "downloading";
    public const string Verifying = "verifying";
    public const string Ready = "ready";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string stage) => stage is Ready or Failed or Cancelled;
}

/// <summary>One pull's state: an event of the progress stream, an entry of <c>GET /v1/models/pulls</c>.</summary>
public sealed record ModelPullStatus
{
    /// <summary>The pull's id: the id the model will have in <c>/v1/models</c> (its file name without <c>.gguf</c>).
    /// <c>DELETE /v1/models/pulls/{id}</c> cancels it.</summary>
    public required string Id { get; init; }

    /// <summary>The reference as resolved, for example <c>hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M</c>.</summary>
    public required string Model { get; init; }

    /// <summary>One of <see cref="ModelPullStages"/>.</summary>
    public required string Stage { get; init; }

    /// <summary>The repository's file names being fetched (several for a multi-part GGUF).</summary>
    public IReadOnlyList<string>? Files { get; init; }

    public long BytesDone { get; init; }

    /// <summary>Null until the hub has told the size.</summary>
    public long? BytesTotal { get; init; }

    /// <summary>Download speed over the last few seconds.</summary>
    public double? BytesPerSecond { get; init; }

    /// <summary>Bytes that were already on disk from an earlier, interrupted pull and were not fetched again.</summary>
    public long BytesResumed { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Set on a <c>failed</c> pull: what went wrong and what to do.</summary>
    public ModelPullError? Error { get; init; }
}

/// <summary>Why a pull failed; the codes are the same as the HTTP errors a pull answers before it starts.</summary>
public sealed record ModelPullError
{
    /// <summary>For example <c>not_found</c>, <c>quantization_not_found</c>, <c>unauthorized</c>, <c>gated</c>,
    /// <c>insufficient_storage</c>, <c>checksum_mismatch</c>, <c>hub_unreachable</c>.</summary>
    public required string Code { get; init; }

    public required string Message { get; init; }

    /// <summary>For <c>quantization_not_found</c>: the quantisations the repository has.</summary>
    public IReadOnlyList<string>? Available { get; init; }
}

/// <summary><c>GET /v1/models/pulls</c>: pulls running now and those ended in the last minutes.</summary>
public sealed record ModelPullList
{
    public string Object => "list";

    public required IReadOnlyList<ModelPullStatus> Data { get; init; }
}

/// <summary>A model offered on first run and in the models panel.</summary>
public sealed record RecommendedModel
{
    /// <summary>What to pull: <c>hf.co/&lt;org&gt;/&lt;repo&gt;:&lt;quant&gt;</c>.</summary>
    public required string Model { get; init; }

    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary><c>chat</c> or <c>embeddings</c>.</summary>
    public required string Purpose { get; init; }

    /// <summary>Download size in bytes.</summary>
    public long SizeBytes { get; init; }

    /// <summary>Memory the model needs to run (weights plus a default context), in bytes.</summary>
    public long MemoryBytes { get; init; }

    public required string License { get; init; }

    public string? LicenseUrl { get; init; }
}

/// <summary><c>GET /v1/models/recommended</c>.</summary>
public sealed record RecommendedModelList
{
    public string Object => "list";

    public required IReadOnlyList<RecommendedModel> Data { get; init; }
}

/// <summary><c>DELETE /v1/models/{id}</c>: the model's file is gone (OpenAI's shape for a deleted model).</summary>
public sealed record ModelDeleted
{
    public required string Id { get; init; }

    public string Object => "model";

    public bool Deleted { get; init; } = true;

    /// <summary>The files removed (several for a split model).</summary>
    public IReadOnlyList<string>? Files { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ModelPullRequest))]
[JsonSerializable(typeof(ModelPullStatus))]
[JsonSerializable(typeof(ModelPullList))]
[JsonSerializable(typeof(RecommendedModelList))]
[JsonSerializable(typeof(ModelDeleted))]
public sealed partial class ModelPullJsonContext : JsonSerializerContext;
