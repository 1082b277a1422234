using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web;

public static class WebServicesExtensions
{
    /// <summary>The web frontend's own services: the ChatQnA gateway's clients and the per-circuit chat state.</summary>
    public static IHostApplicationBuilder AddWebServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // No resilience handler and no timeout: a streamed reply may take minutes and must never be retried
        // once it started; the page cancels it through its CancellationToken. Service discovery (added to
        // every client by the service defaults) turns http://chatqna into the gateway's real address.
        // The liveness probe makes a call to a gateway that is down fail in about a second with the reason (under the
        // AppHost its port stays open through Aspire's proxy, so a plain call would hang).
        builder.Services.AddHttpClient<GatewayHealthClient>(ConfigureGateway).AddHttpMessageHandler(ProbeGateway);
        builder.Services.AddHttpClient<ConversationsClient>(ConfigureGateway).AddHttpMessageHandler(ProbeGateway);
        builder.Services.AddHttpClient<DataprepClient>(ConfigureGateway).AddHttpMessageHandler(ProbeGateway);
        builder.Services.AddHttpClient<ModelsClient>(ConfigureGateway).AddHttpMessageHandler(ProbeGateway);
        // Without the 1 s liveness probe: whether accounts are on decides who may see a page, so a gateway slow to
        // answer its first probe must not pass for one that is down. Bounded by the health timeout instead.
        builder.Services.AddHttpClient<AccountsClient>((services, http) =>
        {
            ConfigureGateway(services, http);
            http.Timeout = services.GetRequiredService<IOptions<GatewayOptions>>().Value.HealthTimeout;
        });
        builder.Services.AddHealthChecks().AddCheck<GatewayHealthCheck>("gateway");

        builder.Services.TryAddSingleton(TimeProvider.System);

        // One chat per browser tab: scoped services live as long as the Blazor circuit.
        builder.Services.AddScoped<ChatErrorState>();
        builder.Services.AddScoped<ConversationList>();
        builder.Services.AddScoped<OpenConversation>();
        builder.Services.AddScoped<ConversationReplies>();
        builder.Services.AddScoped<GatewayCatalog>();
        builder.Services.AddScoped<ServiceHealthMonitor>();
        builder.Services.AddScoped<BrowserTab>();
        builder.Services.AddScoped<GatewayCaller>();
        builder.Services.AddScoped<BrowserTimeZone>();
        builder.Services.AddScoped<Documents.DocumentLibrary>();
        builder.Services.AddScoped<Models.ModelPulls>();
        return builder;
    }

    /// <summary>
    /// Sign-in for a gateway that keeps accounts: this app's own session cookie (HttpOnly, SameSite=Lax, marked Secure
    /// when the request is), and every page but the account pages and the static files behind <see cref="SignedInRequirement"/>,
    /// which lets anyone through in local mode. A session the gateway no longer takes ends on its next request
    /// (<see cref="SessionCheck"/>).
    /// </summary>
    public static IHostApplicationBuilder AddWebAccounts(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<AccountsMode>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.Name = "OpeaChat.Session";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.LoginPath = AccountEndpoints.SignInPath;
                options.LogoutPath = "/account/sign-out";
                options.ExpireTimeSpan = TimeSpan.FromDays(14);
                options.SlidingExpiration = true;
                // The gateway ends sessions (a lock, a deletion, a password change): ask it on each page's request.
                options.Events.OnValidatePrincipal = SessionCheck.ValidatePrincipalAsync;
            });
        builder.AddSingleSignOn();
        builder.Services.AddScoped<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, SignedInRequirementHandler>();
        builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(SignedInRequirement.Policy);
        return builder;
    }

    private static DelegatingHandler ProbeGateway() => new LivenessProbeHandler("chat (ChatQnA gateway)", TimeSpan.FromSeconds(1));

    private static void ConfigureGateway(IServiceProvider services, HttpClient http)
    {
        var gateway = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        http.BaseAddress = new Uri(gateway.BaseUrl.EndsWith('/') ? gateway.BaseUrl : gateway.BaseUrl + "/");
        http.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrEmpty(gateway.ApiKey))
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", gateway.ApiKey);
        }
    }

    /// <summary>
    /// <c>GET /export/{id}?format=markdown|json</c>: the browser talks only to this app, so the gateway's export
    /// download is passed through here.
    /// </summary>
    public static IEndpointRouteBuilder MapConversationExport(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/export/{id:guid}", async (Guid id, string? format, ConversationsClient client, HttpContext context) =>
        {
            var wanted = format is "json" ? "json" : "markdown";
            using var response = await client.ExportAsync(id, wanted, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                context.Response.ContentType = type.ToString();
            }

            var disposition = response.Content.Headers.ContentDisposition?.ToString()
                ?? $"attachment; filename=conversation.{(wanted == "json" ? "json" : "md")}";
            context.Response.Headers.ContentDisposition = disposition;
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        return endpoints;
    }
}
