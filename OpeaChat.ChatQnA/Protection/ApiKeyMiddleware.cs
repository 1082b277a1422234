using OpeaChat.Contracts.Accounts;
using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Accounts;
using OpeaChat.ServiceDefaults.Security;

namespace OpeaChat.ChatQnA.Protection;

/// <summary>
/// When <c>ChatQnA:ApiKeys</c> is set, every /v1 call (and the OpenAPI document and its page) needs one of the keys: as
/// <c>Authorization: Bearer KEY</c>, or as OPEA's <c>meta.auth_token</c> in a JSON body. Keys are compared in constant
/// time (<see cref="ApiKeys"/>, shared with inference) and never logged. It runs before the body-size check, so an
/// unknown caller learns nothing about the limits. The caller's identity (a hash of its key, or its address) is kept
/// for the rate limiter.
/// With accounts on (<c>ChatQnA:Accounts:Enabled</c>) it also resolves the request's one caller (<see cref="Caller"/>):
/// a personal key (<c>ocp_…</c>) acts as its person; the forwarder key with <c>OpeaChat-User</c> acts as that person
/// (the header is trusted with that key only); a service key acts in the shared service space. The caller becomes
/// <see cref="HttpContext.User"/> and <see cref="OwnerScope.Current"/>, which every store filters by.
/// </summary>
public sealed partial class ApiKeyMiddleware(RequestDelegate next, IOptionsMonitor<ChatQnAOptions> options, IOptionsMonitor<AccountsOptions> accounts,
    ILogger<ApiKeyMiddleware> logger)
{
    public const string ForwardedUserHeader = ForwardedHeaders.User;

    public const string ForwardedSessionHeader = ForwardedHeaders.Session;

    public const string AuthenticationType = "OpeaChat";

    public const string ClientIdItem = "opeachat.client";

    public const string ForwardedClientHeader = ForwardedHeaders.Client;

    private const int ForwardedClientMaxLength = 64;

    public async Task InvokeAsync(HttpContext context)
    {
        var settings = options.CurrentValue;
        var keys = settings.ApiKeys;
        var forwarderKeys = settings.ForwarderApiKeys;
        var accountsOn = accounts.CurrentValue.Enabled;
        if (accountsOn && !IsProtected(context.Request.Path))
        {
            // Health probes and the like: nothing of anyone's is reachable, and the filters still fail closed.
            OwnerScope.Current = new Caller(CallerKind.Anonymous, Caller.NobodyOwnerId, IsAdmin: false);
        }

        if (!IsProtected(context.Request.Path) || (keys.Count == 0 && forwarderKeys.Count == 0))
        {
            var address = context.Connection.RemoteIpAddress;
            var client = "ip:" + (address?.ToString() ?? "unknown");
            // An open gateway trusts the header only from this machine: the development app's web frontend.
            context.Items[ClientIdItem] = address is not null && IPAddress.IsLoopback(address) && ForwardedClient(context.Request) is { } tab
                ? $"{client}/client:{tab}"
                : client;
            await next(context);
            return;
        }

        var presented = ApiKeys.BearerToken(context.Request)
            ?? await AuthTokenFromBodyAsync(context.Request, settings.MaxRequestBodyBytes, context.RequestAborted);
        var forwarder = ApiKeys.Matches(forwarderKeys, presented);
        var service = !forwarder && ApiKeys.Matches(keys, presented);
        Account? person = null;
        if (accountsOn && !forwarder && !service && AccountService.LooksLikePersonalKey(presented))
        {
            person = await context.RequestServices.GetRequiredService<AccountService>().ResolveKeyAsync(presented!, context.RequestAborted);
        }

        var matched = forwarder || service || person is not null;
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

        var caller = "key:" + ApiKeys.Fingerprint(presented!);
        context.Items[ClientIdItem] = forwarder && ForwardedClient(context.Request) is { } forwarded ? $"{caller}/client:{forwarded}" : caller;
        if (accountsOn)
        {
            if (forwarder && context.Request.Headers[ForwardedUserHeader].ToString() is { Length: > 0 } userId)
            {
                person = userId.Length <= Data.ConversationLimits.OwnerIdMaxLength
                    ? await context.RequestServices.GetRequiredService<AccountService>().FindActiveAsync(userId, context.RequestAborted)
                    : null;
                // The session's stamp, when the web sends it: an old one (the password changed since) ends that session.
                if (person is not null && context.Request.Headers[ForwardedSessionHeader].ToString() is { Length: > 0 } stamp
                    && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                        System.Text.Encoding.UTF8.GetBytes(stamp), System.Text.Encoding.UTF8.GetBytes(person.SecurityStamp ?? string.Empty)))
                {
                    person = null;
                }

                if (person is null)
                {
                    // A deleted, locked or unapproved account: its session in the web ends here, at once.
                    LogRejected(context.Request.Path, "forwarded user is not an active account");
                    await RefuseForwardedAsync(context, ForwardedHeaders.InvalidUser,
                        $"The {ForwardedUserHeader} account does not exist, is locked, is not approved, or its password changed since this session began.");
                    return;
                }
            }

            if (forwarder && person is null && !context.Request.Path.StartsWithSegments("/v1/accounts"))
            {
                // The web names a person on every data call; without one only sign-in and sign-up are open to it, so a page
                // that somehow runs without a signed-in person cannot reach anyone's items, nor the service space.
                LogRejected(context.Request.Path, "forwarder key without a person");
                await RefuseForwardedAsync(context, ForwardedHeaders.PersonRequired,
                    $"With accounts on, the web frontend's key must name the signed-in person ({ForwardedUserHeader}).");
                return;
            }

            var resolved = person is not null
                ? new Caller(CallerKind.Person, person.Id, person.Role == AccountRoles.Admin, ViaPersonalKey: !forwarder)
                : new Caller(forwarder ? CallerKind.Forwarder : CallerKind.Service, Caller.ServiceOwnerId, IsAdmin: false);
            if (person is not null)
            {
                // Rate limits per person, whichever tab or key the request came from.
                context.Items[ClientIdItem] = "user:" + person.Id;
            }

            OwnerScope.Current = resolved;
            context.User = ToPrincipal(resolved);
        }

        await next(context);
    }

    private static ClaimsPrincipal ToPrincipal(Caller caller)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, caller.OwnerId),
            new("opeachat:caller", caller.Kind.ToString().ToLowerInvariant()),
        ];
        if (caller.IsPerson)
        {
            claims.Add(new Claim(ClaimTypes.Role, caller.IsAdmin ? AccountRoles.Admin : AccountRoles.Member));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthenticationType));
    }

    /// <summary>The forwarded person's id when it is a short opaque token (anything else is ignored, not trusted).</summary>
    /// <summary>
    /// A 401 for the person the web named: the code in the body where the path's contract has one, and in the
    /// <see cref="ForwardedHeaders.Refusal"/> header always (OPEA's <c>{"detail"}</c> has no code), for the web to end the session.
    /// </summary>
    private static async Task RefuseForwardedAsync(HttpContext context, string code, string message)
    {
        context.Response.Headers[ForwardedHeaders.Refusal] = code;
        await ContractErrors.Create(context, StatusCodes.Status401Unauthorized, message, code).ExecuteAsync(context);
    }

    private static string? ForwardedClient(HttpRequest request)
    {
        var value = request.Headers[ForwardedClientHeader].ToString();
        return value.Length is > 0 and <= ForwardedClientMaxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value
            : null;
    }

    /// <summary>The API, and the OpenAPI document and reference page that describe it.</summary>
    private static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/openapi") || path.StartsWithSegments("/scalar");

    /// <summary>OPEA clients put the key into the body as <c>{"meta": {"auth_token": "..."}}</c>.</summary>
    private static async Task<string?> AuthTokenFromBodyAsync(HttpRequest request, long bodyLimit, CancellationToken cancellationToken)
    {
        // An oversize body is not read to look for a key in it: without a header key it is refused as unauthenticated.
        if (!HttpMethods.IsPost(request.Method) || !JsonBodyMiddleware.IsJson(request.ContentType) || request.ContentLength > bodyLimit)
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
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // A chunked body past the limit: no key was found in what could be read.
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Path}: {Reason}")]
    private partial void LogRejected(string path, string reason);
}
