using Microsoft.AspNetCore.Http;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>
/// Writes a refusal made before any endpoint runs (wrong host, cross-site origin, wrong content type, missing key)
/// in the shape of the contract the request was for. A service registers its own; the default is OpenAI's.
/// </summary>
public interface IRequestRejection
{
    IResult Create(HttpContext context, int status, string message, string code, string? param);
}

/// <summary>OpenAI's <c>{"error":{"message","type","param","code"}}</c>, the wire of inference.</summary>
public sealed class OpenAiRequestRejection : IRequestRejection
{
    public IResult Create(HttpContext context, int status, string message, string code, string? param) =>
        new OpenAiErrorResult(status, new ErrorBody
        {
            Message = message,
            Type = status switch
            {
                StatusCodes.Status401Unauthorized => "authentication_error",
                StatusCodes.Status403Forbidden => "permission_error",
                _ => "invalid_request_error",
            },
            Param = param,
            Code = code,
        });
}

/// <summary>Plain text, for a page (the web frontend) rather than an API.</summary>
public sealed class PlainTextRequestRejection : IRequestRejection
{
    public IResult Create(HttpContext context, int status, string message, string code, string? param) =>
        Results.Text(message, "text/plain; charset=utf-8", statusCode: status);
}
