using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// OpenID Connect sign-in: the provider proves who the person is, the gateway finds or makes their account
/// (<c>POST /v1/accounts/external</c>), and the session is this app's own cookie, as after a password sign-in.
/// </summary>
public static partial class SingleSignOn
{
    /// <summary>Where the sign-in page sends a person who picked single sign-on (a plain link: the browser then leaves for the provider).</summary>
    public const string StartPath = "/account/sign-in/external";

    /// <summary>The sign-in page's query parameter that says why single sign-on did not end in a session.</summary>
    public const string FailureParameter = "sso";

    /// <summary>
    /// The OpenID Connect handler, as a scheme only when <c>SingleSignOn:Authority</c> is set. The scheme is added from
    /// the bound options rather than read from configuration while the app is built: settings that arrive late (a
    /// test host's, a configuration provider's) then count, and a missing client id never breaks other requests.
    /// </summary>
    public static void AddSingleSignOn(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IValidateOptions<SingleSignOnOptions>, SingleSignOnOptionsValidator>();
        builder.Services.AddOptions<SingleSignOnOptions>()
            .Bind(builder.Configuration.GetSection(SingleSignOnOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<AuthenticationOptions>().Configure<IOptions<SingleSignOnOptions>>((authentication, settings) =>
        {
            if (settings.Value.Enabled)
            {
                authentication.AddScheme<OpenIdConnectHandler>(SingleSignOnOptions.Scheme, settings.Value.DisplayName);
            }
        });
        // What AddOpenIdConnect registers besides the scheme: the metadata and protectors set-up, then ours.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        builder.Services.AddOptions<OpenIdConnectOptions>(SingleSignOnOptions.Scheme)
            .Configure<IOptions<SingleSignOnOptions>, TimeProvider>((options, settings, clock) => Configure(options, settings.Value, clock))
            .Validate(options =>
            {
                options.Validate(SingleSignOnOptions.Scheme);
                return true;
            });
    }

    private static void Configure(OpenIdConnectOptions options, SingleSignOnOptions settings, TimeProvider clock)
    {
        options.TimeProvider = clock;
        options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.Authority = settings.Authority;
        options.ClientId = settings.ClientId;
        options.ClientSecret = string.IsNullOrEmpty(settings.ClientSecret) ? null : settings.ClientSecret;
        options.RequireHttpsMetadata = settings.RequireHttpsMetadata;
        options.CallbackPath = settings.CallbackPath;
        options.GetClaimsFromUserInfoEndpoint = settings.GetClaimsFromUserInfoEndpoint;

        // The code flow with PKCE, the code in the query: the way back is then a top-level GET, so the correlation and
        // nonce cookies can be SameSite=Lax and work over plain http too (the AppHost's), unlike form_post's SameSite=None.
        options.ResponseType = OpenIdConnectResponseType.Code;
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        options.UsePkce = true;
        options.CorrelationCookie.SameSite = SameSiteMode.Lax;
        options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.NonceCookie.SameSite = SameSiteMode.Lax;
        options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;

        // The provider's claim names as sent (sub, email, groups), not mapped to WS-* URIs; no tokens kept in the
        // cookie: the gateway's account is the session, the provider's tokens are not needed after sign-in.
        options.MapInboundClaims = false;
        options.SaveTokens = false;
        options.Scope.Clear();
        foreach (var scope in settings.ScopeNames())
        {
            options.Scope.Add(scope);
        }

        options.Events.OnTokenValidated = LinkAccountAsync;
        options.Events.OnAccessDenied = context =>
        {
            // The person pressed Cancel (or was not let in) at the provider: error=access_denied on the way back.
            LogRemoteFailure(Logger(context.HttpContext), "access_denied");
            context.HandleResponse();
            context.Response.Redirect(FailurePath("cancelled"));
            return Task.CompletedTask;
        };
        options.Events.OnRemoteFailure = context =>
        {
            LogRemoteFailure(Logger(context.HttpContext), context.Failure?.Message ?? "unknown");
            context.HandleResponse();
            // The protocol's error code, when the provider sent one: invalid_client is a setting to fix, not a retry.
            var code = context.Failure?.Data["error"] as string == "invalid_client" ? "provider_refused" : "failed";
            context.Response.Redirect(FailurePath(code));
            return Task.CompletedTask;
        };
    }

    /// <summary>
    /// The provider's ID token is valid: the gateway finds the account of (issuer, subject), or makes it at the first
    /// sign-in, and says whether it may sign in (approved, not locked). Its answer becomes the session.
    /// </summary>
    private static async Task LinkAccountAsync(TokenValidatedContext context)
    {
        var services = context.HttpContext.RequestServices;
        var settings = services.GetRequiredService<IOptions<SingleSignOnOptions>>().Value;
        var claims = context.Principal!;
        var subject = claims.FindFirstValue("sub");
        var issuer = claims.FindFirstValue("iss") ?? context.Options.Authority;
        var request = new ExternalSignInRequest
        {
            Issuer = issuer,
            Subject = subject,
            Email = claims.FindFirstValue("email"),
            Name = claims.FindFirstValue("name") ?? claims.FindFirstValue("preferred_username"),
            Admin = settings.IsAdmin(claims),
        };

        string code;
        try
        {
            var (account, error) = await services.GetRequiredService<AccountsClient>()
                .ExternalSignInAsync(request, context.HttpContext.RequestAborted).ConfigureAwait(false);
            if (account is not null)
            {
                LogSignedIn(Logger(context.HttpContext), account.Id, issuer ?? string.Empty, request.Admin);
                context.Principal = PersonClaims.ToPrincipal(account);
                return;
            }

            code = error?.Code ?? "failed";
            LogRefused(Logger(context.HttpContext), issuer ?? string.Empty, code);
        }
        catch (ChatQnAException exception)
        {
            LogRefused(Logger(context.HttpContext), issuer ?? string.Empty, exception.Failure.ToString());
            code = exception.Failure == ChatQnAFailure.Unreachable ? "unreachable" : "failed";
        }

        // No session: back to the sign-in page, which says why in its own words (never text from the query).
        context.HandleResponse();
        context.Response.Redirect(FailurePath(code));
    }

    /// <summary>The sign-in page's words for why single sign-on did not end in a session; null for no such reason.</summary>
    public static string? Describe(string? failure) => failure switch
    {
        null or "" => null,
        "pending_approval" => "Your account is made and waits for an admin's approval. Sign in once it is approved.",
        "locked_out" => "This account is locked. Ask an admin to unlock it.",
        "sign_up_closed" => "Your sign-in worked, but new accounts from single sign-on are off here: ask an admin to let you in.",
        "unreachable" => "The chat service (ChatQnA gateway) cannot be reached. Check that it is running, then try again.",
        "cancelled" => "Single sign-on was cancelled. Try again, or sign in with a password.",
        "provider_unreachable" => "The sign-in provider cannot be reached. Try again later, or ask an admin to check SingleSignOn:Authority.",
        "provider_refused" => "The sign-in provider refused this app's credentials: ask an admin to check SingleSignOn:ClientId and ClientSecret.",
        _ => "Single sign-on did not complete (it was cancelled, or the provider refused). Try again, or ask an admin.",
    };

    /// <summary><c>GET /account/sign-in/external</c>: off to the provider, then back to <paramref name="returnUrl"/> (a path of this site only).</summary>
    public static IEndpointRouteBuilder MapSingleSignOnEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(StartPath, StartAsync)
            .AllowAnonymous()
            .WithName("StartSingleSignOn");
        return endpoints;
    }

    private static async Task<IResult> StartAsync(HttpContext context, string? returnUrl, IOptions<SingleSignOnOptions> settings,
        IOptionsMonitor<OpenIdConnectOptions> handlers)
    {
        if (!settings.Value.Enabled)
        {
            return TypedResults.NotFound();
        }

        // The handler fetches the provider's discovery document on its first challenge and throws when it cannot: ask
        // for it first (it is cached, so the challenge reuses it) and say so on the sign-in page instead of a 500.
        try
        {
            var manager = handlers.Get(SingleSignOnOptions.Scheme).ConfigurationManager;
            if (manager is not null)
            {
                await manager.GetConfigurationAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException exception)
        {
            LogProviderUnreachable(Logger(context), settings.Value.Authority ?? string.Empty, exception.Message);
            return TypedResults.Redirect(FailurePath("provider_unreachable"));
        }

        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = AccountEndpoints.SafeReturnUrl(returnUrl) }, [SingleSignOnOptions.Scheme]);
    }

    private static string FailurePath(string code) => $"{AccountEndpoints.SignInPath}?{FailureParameter}={Uri.EscapeDataString(code)}";

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SingleSignOn).FullName!);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on: account {AccountId} signed in through {Issuer} (admin claim: {Admin})")]
    private static partial void LogSignedIn(ILogger logger, string accountId, string issuer, bool admin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on through {Issuer} ended without a session: {Reason}")]
    private static partial void LogRefused(ILogger logger, string issuer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on failed at the provider or on the way back: {Reason}")]
    private static partial void LogRemoteFailure(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on: the provider {Authority} cannot be reached: {Reason}")]
    private static partial void LogProviderUnreachable(ILogger logger, string authority, string reason);
}
