using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Protection;

/// <summary>
/// Errors raised before an endpoint runs (authentication, rate limits, body size) in the shape of the contract the
/// request was for: OpenAI's on the OpenAI door, FastAPI's <c>{"detail"}</c> everywhere else.
/// </summary>
public static class ContractErrors
{
    public static bool IsOpenAiPath(PathString path) =>
        path.StartsWithSegments("/v1/chat/completions") || path.StartsWithSegments("/v1/models");

    public static IResult Create(HttpContext context, int status, string message, string code, TimeSpan? retryAfter = null) =>
        IsOpenAiPath(context.Request.Path)
            ? new OpenAiErrorResult(status, new ErrorBody
            {
                Message = message,
                Type = status switch
                {
                    StatusCodes.Status429TooManyRequests => "rate_limit_error",
                    StatusCodes.Status401Unauthorized => "authentication_error",
                    _ => "invalid_request_error",
                },
                Code = code,
            }, retryAfter)
            : new OpeaErrorResult(status, message, retryAfter);
}
