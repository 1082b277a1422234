using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;
using OpeaChat.ServiceDefaults.Security;

namespace OpeaChat.ChatQnA.Protection;

/// <summary>
/// Errors raised before an endpoint runs (authentication, rate limits, body size) in the shape of the contract the
/// request was for: OpenAI's on the OpenAI door, FastAPI's <c>{"detail"}</c> everywhere else.
/// </summary>
public static class ContractErrors
{
    public static bool IsOpenAiPath(PathString path) =>
        path.StartsWithSegments("/v1/chat/completions") || path.StartsWithSegments("/v1/models");

    public static IResult Create(HttpContext context, int status, string message, string code, TimeSpan? retryAfter = null, string? param = null) =>
        IsOpenAiPath(context.Request.Path)
            ? new OpenAiErrorResult(status, new ErrorBody
            {
                Message = message,
                Type = status switch
                {
                    StatusCodes.Status429TooManyRequests => "rate_limit_error",
                    StatusCodes.Status401Unauthorized => "authentication_error",
                    StatusCodes.Status403Forbidden => "permission_error",
                    _ => "invalid_request_error",
                },
                Param = param,
                Code = code,
            }, retryAfter)
            : new OpeaErrorResult(status, message, retryAfter);
}

/// <summary>The gateway's refusals before routing (host, origin, content type) in the same shapes as its other errors.</summary>
public sealed class GatewayRequestRejection : IRequestRejection
{
    public IResult Create(HttpContext context, int status, string message, string code, string? param) =>
        ContractErrors.Create(context, status, message, code, param: param);
}
