using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>
/// When keys are configured, every request under the protected paths (no paths: every path but the health probes)
/// needs one as <c>Authorization: Bearer KEY</c> (401 otherwise, before the body is read). Keys are never logged. The gateway's own middleware adds OPEA's
/// <c>meta.auth_token</c> and forwarder keys on top of the same <see cref="ApiKeys"/> comparison.
/// </summary>
public sealed partial class BearerKeyMiddleware(
    RequestDelegate next, Func<HttpContext, ICollection<string>> keys, IReadOnlyList<PathString> protectedPaths, IRequestRejection rejection,
    ILogger<BearerKeyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var configured = keys(context);
        if (configured.Count == 0 || !IsProtected(context.Request.Path))
        {
            await next(context);
            return;
        }

        var presented = ApiKeys.BearerToken(context.Request);
        if (ApiKeys.Matches(configured, presented))
        {
            await next(context);
            return;
        }

        LogRejected(context.Request.Path, presented is null ? "no key" : "unknown key");
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var message = presented is null ? "An API key is required: send 'Authorization: Bearer KEY'." : "The API key is not valid.";
        await rejection.Create(context, StatusCodes.Status401Unauthorized, message, "invalid_api_key", null).ExecuteAsync(context);
    }

    private bool IsProtected(PathString path) =>
        protectedPaths.Count == 0
            ? !path.StartsWithSegments(ServiceDefaultsExtensions.HealthEndpointPath) && !path.StartsWithSegments(ServiceDefaultsExtensions.AlivenessEndpointPath)
            : protectedPaths.Any(prefix => path.StartsWithSegments(prefix));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Path}: {Reason}")]
    private partial void LogRejected(string path, string reason);
}
