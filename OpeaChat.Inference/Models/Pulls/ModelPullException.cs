using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>
/// A pull that cannot go on, with the code and HTTP status it is answered with: as the POST's own error while the
/// pull is being resolved, as the <c>failed</c> event's <see cref="ModelPullError"/> later.
/// </summary>
public sealed class ModelPullException(string code, int statusCode, string message, IReadOnlyList<string>? available = null, bool transient = false)
    : Exception(message)
{
    public const string NotFound = "not_found";
    public const string QuantizationNotFound = "quantization_not_found";
    public const string Unauthorized = "unauthorized";
    public const string Gated = "gated";
    public const string InsufficientStorage = "insufficient_storage";
    public const string ChecksumMismatch = "checksum_mismatch";
    public const string HubUnreachable = "hub_unreachable";
    public const string HubError = "hub_error";
    public const string WriteFailed = "write_failed";

    public string Code { get; } = code;

    public int StatusCode { get; } = statusCode;

    public IReadOnlyList<string>? Available { get; } = available;

    /// <summary>Worth trying again (a network error, a 5xx from the hub or its CDN).</summary>
    public bool Transient { get; } = transient;

    /// <summary>The HTTP status a pull that ended with this code is answered with (<c>stream: false</c>).</summary>
    public static int StatusFor(string code) => code switch
    {
        NotFound or QuantizationNotFound => StatusCodes.Status404NotFound,
        Unauthorized => StatusCodes.Status401Unauthorized,
        Gated => StatusCodes.Status403Forbidden,
        InsufficientStorage => StatusCodes.Status507InsufficientStorage,
        WriteFailed => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status502BadGateway,
    };

    public ModelPullError ToError() => new() { Code = Code, Message = Message, Available = Available };

    public OpenAiErrorResult ToResult() => new(StatusCode, new ErrorBody
    {
        Message = Message,
        Type = StatusCode >= 500 ? "server_error" : "invalid_request_error",
        Param = StatusCode is 404 or 401 or 403 ? "model" : null,
        Code = Code,
        Available = Available,
    });
}
