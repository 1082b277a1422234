using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Protection;

/// <summary>
/// When <c>ChatQnA:ApiKeys</c> is set, every /v1 call needs one of the keys: as <c>Authorization: Bearer KEY</c>, or as
/// OPEA's <c>meta.auth_token</c> in a JSON body. Keys are compared in constant time and never logged. The caller's
/// identity (a hash of its key, or its address) is kept for the rate limiter.
/// </summary>
public sealed partial class ApiKeyMiddleware(RequestDelegate next, IOptionsMonitor<ChatQnAOptions> options, ILogger<ApiKeyMiddleware> logger)
{
    public const string ClientIdItem = "opeachat.client";

    public async Task InvokeAsync(HttpContext context)
    {
        var keys = options.CurrentValue.ApiKeys;
        if (!context.Request.Path.StartsWithSegments("/v1") || keys.Count == 0)
        {
            context.Items[ClientIdItem] = "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            await next(context);
            return;
        }

        var presented = BearerToken(context.Request) ?? await AuthTokenFromBodyAsync(context.Request, context.RequestAborted);
        var matched = presented is not null && keys.Any(key => FixedTimeEquals(key, presented));
        if (!matched)
        {
            LogRejected(context.Request.Path, presented is null ? "no key" : "unknown key");
            context.Response.Headers.WWWAuthenticate = "Bearer";
            var message = presented is null
                ? "An API key is required: send 'Authorization: Bearer KEY' (or OPEA's meta.auth_token)."
                : "The API key is not valid.";
            await ContractErrors.Create(context, StatusCodes.Status401Unauthorized, message, "invalid_api_key").ExecuteAsync(context);
            return;
        }

        context.Items[ClientIdItem] = "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented!)))[..16];
        await next(context);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>OPEA clients put the key into the body as <c>{"meta": {"auth_token": "..."}}</c>.</summary>
    private static async Task<string?> AuthTokenFromBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsPost(request.Method) || request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("auth_token", out var token) && token.ValueKind == JsonValueKind.String
                    ? token.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null; // The endpoint reports the malformed body once the caller is known.
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    private static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Path}: {Reason}")]
    private partial void LogRejected(string path, string reason);
}
