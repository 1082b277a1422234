using System.Net;
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

    /// <summary>The person a forwarding caller (the web frontend) speaks for, for the rate limiter.</summary>
    public const string ForwardedClientHeader = "OpeaChat-Client";

    private const int ForwardedClientMaxLength = 64;

    public async Task InvokeAsync(HttpContext context)
    {
        var settings = options.CurrentValue;
        var keys = settings.ApiKeys;
        var forwarderKeys = settings.ForwarderApiKeys;
        if (!context.Request.Path.StartsWithSegments("/v1") || (keys.Count == 0 && forwarderKeys.Count == 0))
        {
            var address = context.Connection.RemoteIpAddress;
            var client = "ip:" + (address?.ToString() ?? "unknown");
            // An open gateway trusts the header only from this machine: the development app's web frontend.
            context.Items[ClientIdItem] = address is not null && IPAddress.IsLoopback(address) && ForwardedClient(context.Request) is { } person
                ? $"{client}/client:{person}"
                : client;
            await next(context);
            return;
        }

        var presented = BearerToken(context.Request) ?? await AuthTokenFromBodyAsync(context.Request, context.RequestAborted);
        var forwarder = presented is not null && forwarderKeys.Any(key => FixedTimeEquals(key, presented));
        var matched = forwarder || (presented is not null && keys.Any(key => FixedTimeEquals(key, presented)));
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

        var caller = "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented!)))[..16];
        context.Items[ClientIdItem] = forwarder && ForwardedClient(context.Request) is { } forwarded ? $"{caller}/client:{forwarded}" : caller;
        await next(context);
    }

    /// <summary>The forwarded person's id when it is a short opaque token (anything else is ignored, not trusted).</summary>
    private static string? ForwardedClient(HttpRequest request)
    {
        var value = request.Headers[ForwardedClientHeader].ToString();
        return value.Length is > 0 and <= ForwardedClientMaxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value
            : null;
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
