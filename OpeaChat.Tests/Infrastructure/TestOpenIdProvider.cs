using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider over HTTP on loopback (OpenIddict): discovery, keys, the authorization endpoint
/// with a sign-in form a person fills in (or cancels), the token endpoint (code flow, PKCE required, a confidential
/// client). Its people are fixed; their ID tokens carry <c>sub</c>, <c>name</c>, <c>email</c> and <c>groups</c>.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "opeachat-web";
    public const string ClientSecret = "test-provider-client-secret";
    public const string Password = "provider password";
    public const string AdminGroup = "opeachat-admins";

    private static readonly Dictionary<string, ProviderPerson> People = new(StringComparer.Ordinal)
    {
        ["dana"] = new("3f1e-dana", "Dana Scully", "dana@example.test", [AdminGroup, "staff"]),
        ["erin"] = new("7a2c-erin", "Erin Walsh", "erin@example.test", ["staff"]),
    };

    private readonly WebApplication _app;
    private readonly SqliteConnection _database;
    private readonly ConcurrentQueue<string> _signIns = new();

    private TestOpenIdProvider(WebApplication app, SqliteConnection database)
    {
        _app = app;
        _database = database;
    }

    /// <summary>The issuer, what the web's <c>SingleSignOn:Authority</c> is set to.</summary>
    public Uri Authority { get; private set; } = null!;

    /// <summary>The subject of one of the provider's people.</summary>
    public static string SubjectOf(string userName) => People[userName].Subject;

    /// <summary>User names whose password the provider's form accepted, in order.</summary>
    public IReadOnlyList<string> SignIns => [.. _signIns];

    public static async Task<TestOpenIdProvider> StartAsync()
    {
        // A kept-open in-memory SQLite database: OpenIddict's stores (the client, its codes) live as long as the provider.
        var database = new SqliteConnection("Data Source=:memory:");
        await database.OpenAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<ProviderDbContext>(options => options.UseSqlite(database).UseOpenIddict());
        builder.Services.AddOpenIddict()
            .AddCore(options => options.UseEntityFrameworkCore().UseDbContext<ProviderDbContext>())
            .AddServer(options =>
            {
                options.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
                options.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                options.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
                options.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                options.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
            });

        var app = builder.Build();
        var provider = new TestOpenIdProvider(app, database);
        app.MapMethods("/connect/authorize", ["GET", "POST"], (Delegate)provider.AuthorizeAsync);
        app.MapPost("/connect/token", (Delegate)ExchangeAsync);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ProviderDbContext>().Database.EnsureCreatedAsync();
        }

        await app.StartAsync();
        provider.Authority = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
        return provider;
    }

    /// <summary>Registers the web as a client, once its address (hence its callback) is known.</summary>
    public async Task RegisterClientAsync(Uri callback)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "OpeaChat",
            RedirectUris = { callback },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Email,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
    }

    /// <summary>
    /// The provider's own sign-in: a form (posted back here with the request's parameters); the right password signs
    /// the person in and sends the code to the client, Cancel answers <c>access_denied</c>.
    /// </summary>
    private async Task<IResult> AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
        if (form is not null && form.ContainsKey("cancel"))
        {
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        string? error = null;
        if (form is not null && form.ContainsKey("sign-in"))
        {
            var userName = form["idp-user"].ToString().Trim();
            if (People.TryGetValue(userName, out var person) && form["idp-password"] == Password)
            {
                _signIns.Enqueue(userName);
                var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
                identity.SetClaim(Claims.Subject, person.Subject).SetClaim(Claims.Name, person.Name).SetClaim(Claims.Email, person.Email);
                foreach (var group in person.Groups)
                {
                    identity.AddClaim(new Claim("groups", group));
                }

                identity.SetScopes(request.GetScopes());
                identity.SetDestinations(static _ => [Destinations.AccessToken, Destinations.IdentityToken]);
                return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            }

            error = "Unknown user or wrong password.";
        }

        return Results.Content(LoginPage(request, error), "text/html; charset=utf-8");
    }

    private static async Task<IResult> ExchangeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (!request.IsAuthorizationCodeGrantType())
        {
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        // The code's own principal (validated by OpenIddict: client, redirect, PKCE verifier), issued again as tokens.
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        return Results.SignIn(result.Principal!, properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static string LoginPage(OpenIddictRequest request, string? error)
    {
        var html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>Test provider: sign in</title></head><body>");
        html.Append("<h1>Test provider</h1>");
        if (error is not null)
        {
            html.Append("<p id=\"idp-error\">").Append(WebUtility.HtmlEncode(error)).Append("</p>");
        }

        html.Append("<form method=\"post\" action=\"/connect/authorize\">");
        // The request's own parameters, not the form's fields of an attempt before.
        foreach (var (name, value) in request.GetParameters().Where(p => p.Key is not ("idp-user" or "idp-password" or "sign-in" or "cancel")))
        {
            html.Append("<input type=\"hidden\" name=\"").Append(WebUtility.HtmlEncode(name)).Append("\" value=\"").Append(WebUtility.HtmlEncode((string?)value)).Append("\">");
        }

        html.Append("<label>User name <input id=\"idp-user\" name=\"idp-user\"></label>");
        html.Append("<label>Password <input id=\"idp-password\" name=\"idp-password\" type=\"password\"></label>");
        html.Append("<button name=\"sign-in\" value=\"1\">Sign in</button> <button name=\"cancel\" value=\"1\">Cancel</button>");
        html.Append("</form></body></html>");
        return html.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    private sealed record ProviderPerson(string Subject, string Name, string Email, string[] Groups);

    private sealed class ProviderDbContext(DbContextOptions<ProviderDbContext> options) : DbContext(options);
}
