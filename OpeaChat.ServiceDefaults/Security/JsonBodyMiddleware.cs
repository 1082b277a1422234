using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>
/// A JSON API reads bodies only as JSON: a body sent as <c>text/plain</c> (or a form) is what a page of another site
/// can send without a CORS preflight, so it gets 415 before any endpoint reads it. Paths listed as form paths (document
/// uploads) also take <c>multipart/form-data</c>. Requests without a body pass (an endpoint that needs one says so).
/// </summary>
public sealed class JsonBodyMiddleware(RequestDelegate next, IRequestRejection rejection, IReadOnlyList<PathString> formPaths)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.ContentLength > 0;
        if (!hasBody || !HttpSecurityMiddleware.IsStateChanging(request.Method))
        {
            await next(context);
            return;
        }

        var isFormPath = formPaths.Any(path => request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase));
        if (IsJson(request.ContentType) || (isFormPath && request.HasFormContentType))
        {
            await next(context);
            return;
        }

        var sent = string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"Content-Type '{request.ContentType}'";
        var wanted = isFormPath ? "application/json or multipart/form-data" : "application/json";
        await rejection.Create(context, StatusCodes.Status415UnsupportedMediaType,
            $"The request body must be sent as {wanted}; it came with {sent}.", "unsupported_media_type", "Content-Type").ExecuteAsync(context);
    }

    public static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.MediaType.Value is not { } type)
        {
            return false;
        }

        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
