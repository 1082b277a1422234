using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>
/// Runs first in every service: sends the security headers, answers only to the configured host names (so a DNS
/// rebinding page cannot read the API through the browser) and refuses state-changing requests, and any request to an
/// origin-checked path, sent by a page of another origin (so any web page cannot drive a local service). Health probes
/// are exempt from the host rule: orchestrators probe by address.
/// </summary>
public sealed partial class HttpSecurityMiddleware(
    RequestDelegate next, HttpSecurityPolicy policy, IOptionsMonitor<HttpSecurityOptions> options, IRequestRejection rejection,
    ILogger<HttpSecurityMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var response = context.Response;
        response.OnStarting(() =>
        {
            // Set when the response starts, so an exception handler that clears the headers does not drop them.
            var headers = response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = policy.ReferrerPolicy;
            headers.XFrameOptions = "DENY";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            if (policy.ContentSecurityPolicy is { } csp && !policy.ContentSecurityPolicyExempt.Any(path => context.Request.Path.StartsWithSegments(path)))
            {
                headers.ContentSecurityPolicy = csp;
            }

            return Task.CompletedTask;
        });

        var settings = options.CurrentValue;
        var request = context.Request;
        var isProbe = request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthEndpointPath)
            || request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivenessEndpointPath);
        if (!isProbe && !HostRules.IsAllowed(request.Host, settings.AllowedHosts))
        {
            LogRefusedHost(request.Host.Value ?? string.Empty, request.Path);
            await rejection.Create(context, StatusCodes.Status400BadRequest,
                $"This service does not answer to the host name '{request.Host.Host}'. Add it to AllowedHosts (docs/security.md).",
                "host_not_allowed", "Host").ExecuteAsync(context);
            return;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0
            && (IsStateChanging(request.Method) || policy.OriginCheckedPaths.Any(path => request.Path.StartsWithSegments(path)))
            && !HostRules.IsOriginAllowed(origin, request.Host, settings.AllowedOrigins))
        {
            LogRefusedOrigin(origin, request.Method, request.Path);
            await rejection.Create(context, StatusCodes.Status403Forbidden,
                $"Requests from the origin '{origin}' are not allowed. Add it to Security:AllowedOrigins to allow it (docs/security.md).",
                "origin_not_allowed", "Origin").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    public static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Path}: the host {Host} is not in AllowedHosts")]
    private partial void LogRefusedHost(string host, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path} from the origin {Origin}")]
    private partial void LogRefusedOrigin(string origin, string method, string path);
}
