using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>The session cookie's check: a session the gateway no longer takes ends; a gateway that is down ends none.</summary>
public sealed class SessionCheckTests
{
    private static readonly ClaimsPrincipal s_alice =
        PersonClaims.ToPrincipal(new AccountRecord { Id = "acc-alice", UserName = "alice", Role = "member", SessionStamp = "old-stamp" });

    [Fact]
    public async Task A_session_the_gateway_refuses_is_rejected_and_its_cookie_removed()
    {
        var (context, gateway, signOuts) = Check(_ => Refusal("invalid_user"));

        await SessionCheck.ValidatePrincipalAsync(context);

        Assert.Null(context.Principal);
        Assert.Equal([CookieAuthenticationDefaults.AuthenticationScheme], signOuts);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal("/v1/accounts/me", request.Uri!.AbsolutePath);
    }

    [Fact]
    public async Task A_session_the_gateway_takes_stays()
    {
        var (context, _, signOuts) = Check(_ => FakeGateway.Respond(HttpStatusCode.OK,
            """{"id":"acc-alice","user_name":"alice","role":"member","approved":true,"created_at":"2025-01-02T03:04:05Z"}""", "application/json"));

        await SessionCheck.ValidatePrincipalAsync(context);

        Assert.Same(s_alice, context.Principal);
        Assert.Empty(signOuts);
    }

    [Fact]
    public async Task A_gateway_that_cannot_be_reached_signs_nobody_out()
    {
        var (context, _, signOuts) = Check(_ => throw new HttpRequestException("Connection refused"));

        await SessionCheck.ValidatePrincipalAsync(context);

        Assert.Same(s_alice, context.Principal);
        Assert.Empty(signOuts);
    }

    [Fact]
    public async Task Pages_open_to_anyone_are_not_checked()
    {
        var (context, gateway, signOuts) = Check(_ => Refusal("invalid_user"), new AllowAnonymousAttribute());

        await SessionCheck.ValidatePrincipalAsync(context);

        Assert.Same(s_alice, context.Principal);
        Assert.Empty(gateway.Requests);
        Assert.Empty(signOuts);
    }

    private static HttpResponseMessage Refusal(string code) =>
        FakeGateway.Refusing(HttpStatusCode.Unauthorized, """{"detail":"The OpeaChat-User account does not exist, is locked."}""", code);

    private static (CookieValidatePrincipalContext Context, FakeGateway Gateway, List<string?> SignOuts) Check(
        Func<HttpRequestMessage, HttpResponseMessage> respond, params object[] endpointMetadata)
    {
        var gateway = new FakeGateway(respond);
        var authentication = new RecordingAuthentication();
        var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton<IAuthenticationService>(authentication)
            .AddSingleton(new AccountsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") }))
            .BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(endpointMetadata), "page"));
        var scheme = new AuthenticationScheme(CookieAuthenticationDefaults.AuthenticationScheme, null, typeof(CookieAuthenticationHandler));
        var ticket = new AuthenticationTicket(s_alice, CookieAuthenticationDefaults.AuthenticationScheme);
        return (new CookieValidatePrincipalContext(http, scheme, new CookieAuthenticationOptions(), ticket), gateway, authentication.SignOuts);
    }

    private sealed class RecordingAuthentication : IAuthenticationService
    {
        public List<string?> SignOuts { get; } = [];

        public Task SignOutAsync(HttpContext context, string? scheme, AuthenticationProperties? properties)
        {
            SignOuts.Add(scheme);
            return Task.CompletedTask;
        }

        public Task<AuthenticateResult> AuthenticateAsync(HttpContext context, string? scheme) => throw new NotSupportedException();

        public Task ChallengeAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) => throw new NotSupportedException();

        public Task ForbidAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) => throw new NotSupportedException();

        public Task SignInAsync(HttpContext context, string? scheme, ClaimsPrincipal principal, AuthenticationProperties? properties) => throw new NotSupportedException();
    }
}
