using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA;

/// <summary>Gateway settings, bound from the <c>ChatQnA</c> configuration section.</summary>
public sealed class ChatQnAOptions
{
    public const string SectionName = "ChatQnA";

    /// <summary>Base address of the inference service; <c>http://inference</c> is resolved by service discovery.</summary>
    [Required]
    public Uri InferenceBaseUrl { get; set; } = new("http://inference");

    /// <summary>
    /// The model asked for when a request names none (on /v1/chatqna, see <see cref="StrictModel"/>) and its conversation
    /// has none; null lets the inference service use its own.
    /// </summary>
    public string? DefaultModel { get; set; }

    /// <summary>
    /// Whether <c>/v1/chatqna</c> passes the request's <c>model</c> on to inference (an unknown one is a 404). Off (the
    /// default), it ignores it as OPEA's megaservice does, whose UI always names a model of its own: the conversation's
    /// model answers, else <see cref="DefaultModel"/>, else inference's default. The OpenAI door always passes it on.
    /// </summary>
    public bool StrictModel { get; set; }

    /// <summary>max_tokens when a request gives none (OPEA's default).</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>
    /// The key inference asks for (its <c>Inference:ApiKeys</c>), sent on every call to it. The AppHost generates one
    /// for development; the compose file requires one (INFERENCE_API_KEY).
    /// </summary>
    public string? InferenceApiKey { get; set; }

    /// <summary>API keys that may call /v1/*; empty (the default) turns authentication off.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>
    /// API keys of callers that speak for many people (the web frontend): they may call /v1/* like <see cref="ApiKeys"/>,
    /// and name the person behind each request in the <c>OpeaChat-Client</c> header, which then gets its own rate-limit
    /// bucket. Without any keys, that header is trusted only on connections from this machine (development).
    /// </summary>
    public IList<string> ForwarderApiKeys { get; } = [];

    /// <summary>Largest request body accepted, in bytes (413 beyond it).</summary>
    [Range(1_024, 1_073_741_824)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    [ValidateObjectMembers]
    public RateLimitOptions RateLimit { get; set; } = new();

    [ValidateObjectMembers]
    public ResponseCacheOptions ResponseCache { get; set; } = new();

    /// <summary>
    /// With several inference replicas (several service-discovery endpoints, or a name with one address per replica):
    /// <see cref="InferenceBalancing.LeastQueue"/> sends each request to the replica with the fewest running and queued requests.
    /// </summary>
    public InferenceBalancing InferenceBalancing { get; set; } = InferenceBalancing.None;

    /// <summary>How old the replicas' load figures may be before they are asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan InferenceLoadRefresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one inference attempt may take before the gateway gives up on it.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan InferenceAttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long inference's <c>/alive</c> may take before a chat fails at once with 503 (asked before a call unless it
    /// answered in the last 2 s): a dead inference is reported in about this long, not after the attempt timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:30")]
    public TimeSpan InferenceProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a streaming reply's text so far is saved: what a gateway that dies mid-reply can lose.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ReplySaveInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Requests per API key (or per client address without keys): a token bucket, refilled every second.</summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Requests allowed in a burst.</summary>
    [Range(1, 1_000_000)]
    public int BurstLimit { get; set; } = 60;

    /// <summary>Requests added back to the bucket each second.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; } = 10;
}

public sealed class ResponseCacheOptions
{
    /// <summary>Cache the answers of non-streaming requests that give a seed.</summary>
    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan Expiration { get; set; } = TimeSpan.FromMinutes(10);
}

public enum InferenceBalancing
{
    /// <summary>Service discovery's own choice (round robin over its endpoints).</summary>
    None,

    /// <summary>The replica with the fewest running and queued requests, as its /health reports them.</summary>
    LeastQueue,
}
