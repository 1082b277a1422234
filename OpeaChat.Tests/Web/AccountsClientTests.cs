using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>What the password and people pages send the gateway, and how its answers and refusals come back.</summary>
public sealed class AccountsClientTests
{
    private const string AccountJson = """{"id":"acc-bob","user_name":"bob","role":"member","approved":true,"created_at":"2025-01-02T03:04:05Z"}""";

    private static readonly ClaimsPrincipal s_alice =
        PersonClaims.ToPrincipal(new AccountRecord { Id = "acc-alice", UserName = "alice", Role = "admin", SessionStamp = "old-stamp" });

    [Fact]
    public async Task A_password_change_sends_both_passwords_then_checks_the_new_one_naming_nobody_for_the_new_stamp()
    {
        var seen = new List<(string? User, string? Session)>();
        var gateway = new FakeGateway(request =>
        {
            seen.Add((Header(request, ForwardedHeaders.User), Header(request, ForwardedHeaders.Session)));
            return request.RequestUri!.AbsolutePath == "/v1/accounts/me/password"
                ? new HttpResponseMessage(HttpStatusCode.NoContent)
                : FakeGateway.Respond(HttpStatusCode.OK, """{"id":"acc-alice","user_name":"alice","role":"admin","approved":true,"session_stamp":"new-stamp"}""", "application/json");
        });

        var (account, error) = await ClientFor(gateway, s_alice).ChangePasswordAsync("alice", "old secret", "new secret", CancellationToken.None);

        Assert.Null(error);
        Assert.Equal("new-stamp", account!.SessionStamp);
        Assert.Equal(
            [
                (HttpMethod.Post, "/v1/accounts/me/password", """{"current_password":"old secret","new_password":"new secret"}"""),
                (HttpMethod.Post, "/v1/accounts/sign-in", """{"user_name":"alice","password":"new secret"}"""),
            ],
            gateway.Requests.Select(r => (r.Method, r.Uri!.AbsolutePath, r.Body)));
        // The change is the person's (with the session's stamp); the check after it is the web's alone, as at sign-in.
        Assert.Equal([("acc-alice", "old-stamp"), (null, null)], seen);
    }

    [Fact]
    public async Task A_refused_password_change_comes_back_with_its_field_and_checks_nothing_more()
    {
        var gateway = FakeGateway.Failing(HttpStatusCode.Unauthorized,
            """{"detail":"The current password is not right.","code":"invalid_credentials","field":"current_password"}""");

        var (account, error) = await ClientFor(gateway, s_alice).ChangePasswordAsync("alice", "wrong", "new secret", CancellationToken.None);

        Assert.Null(account);
        Assert.Equal(("invalid_credentials", "current_password", "The current password is not right."), (error!.Code, error.Field, error.Detail));
        Assert.Single(gateway.Requests);
    }

    public static TheoryData<string, string, string?> AdminActions => new()
    {
        { "approve", "POST /v1/accounts/acc-bob/approve", null },
        { "admin", "PUT /v1/accounts/acc-bob/role", """{"role":"admin"}""" },
        { "member", "PUT /v1/accounts/acc-bob/role", """{"role":"member"}""" },
        { "lock", "POST /v1/accounts/acc-bob/lock", null },
        { "unlock", "POST /v1/accounts/acc-bob/unlock", null },
    };

    [Theory]
    [MemberData(nameof(AdminActions))]
    public async Task Each_admin_action_calls_its_endpoint_as_the_admin_and_answers_the_account(string action, string call, string? body)
    {
        var gateway = new FakeGateway(_ => FakeGateway.Respond(HttpStatusCode.OK, AccountJson, "application/json"));

        var (account, error) = await ActAsync(ClientFor(gateway, s_alice), action);

        Assert.Null(error);
        Assert.Equal("bob", account!.UserName);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal(call, $"{request.Method} {request.Uri!.AbsolutePath}");
        Assert.Equal(body, request.Body);
    }

    [Theory]
    [MemberData(nameof(AdminActions))]
    public async Task Each_admin_action_refused_comes_back_as_the_gateways_reason(string action, string call, string? body)
    {
        _ = (call, body);
        var gateway = FakeGateway.Failing(HttpStatusCode.Conflict, """{"detail":"This is the only admin; make another admin first.","code":"last_admin"}""");

        var (account, error) = await ActAsync(ClientFor(gateway, s_alice), action);

        Assert.Null(account);
        Assert.Equal(("last_admin", "This is the only admin; make another admin first."), (error!.Code, error.Detail));
    }

    [Fact]
    public async Task A_reset_and_a_delete_answer_nothing_when_done_and_the_refusal_when_not()
    {
        var answers = new Queue<HttpResponseMessage>(
        [
            new HttpResponseMessage(HttpStatusCode.NoContent),
            FakeGateway.Respond(HttpStatusCode.UnprocessableEntity, """{"detail":"Passwords must be at least 8 characters.","code":"invalid_password","field":"new_password"}""", "application/json"),
            new HttpResponseMessage(HttpStatusCode.NoContent),
            FakeGateway.Respond(HttpStatusCode.Conflict, """{"detail":"This is the only admin; make another admin first.","code":"last_admin"}""", "application/json"),
        ]);
        var gateway = new FakeGateway(_ => answers.Dequeue());
        var client = ClientFor(gateway, s_alice);

        Assert.Null(await client.ResetPasswordAsync("acc-bob", "long enough", CancellationToken.None));
        Assert.Equal("invalid_password", (await client.ResetPasswordAsync("acc-bob", "short", CancellationToken.None))?.Code);
        Assert.Null(await client.DeleteAccountAsync("acc-bob", CancellationToken.None));
        Assert.Equal("last_admin", (await client.DeleteAccountAsync("acc-alice", CancellationToken.None))?.Code);

        Assert.Equal(
            [
                (HttpMethod.Post, "/v1/accounts/acc-bob/password", """{"new_password":"long enough"}"""),
                (HttpMethod.Post, "/v1/accounts/acc-bob/password", """{"new_password":"short"}"""),
                (HttpMethod.Delete, "/v1/accounts/acc-bob", null),
                (HttpMethod.Delete, "/v1/accounts/acc-alice", null),
            ],
            gateway.Requests.Select(r => (r.Method, r.Uri!.AbsolutePath, r.Body)));
    }

    [Fact]
    public async Task The_list_is_the_gateways_and_a_member_gets_its_refusal_not_an_empty_list()
    {
        var listed = await ClientFor(new FakeGateway(_ => FakeGateway.Respond(HttpStatusCode.OK, $$"""{"data":[{{AccountJson}}]}""", "application/json")), s_alice)
            .ListAccountsAsync(CancellationToken.None);
        var refused = await ClientFor(FakeGateway.Failing(HttpStatusCode.Forbidden, """{"detail":"Only an admin may do this.","code":"admin_required"}"""), s_alice)
            .ListAccountsAsync(CancellationToken.None);

        Assert.Equal(["bob"], listed.Accounts!.Select(a => a.UserName));
        Assert.Null(refused.Accounts);
        Assert.Equal("admin_required", refused.Error!.Code);
    }

    [Fact]
    public async Task An_old_session_refused_by_the_gateway_is_a_failure_with_its_reason_not_an_account_refusal()
    {
        // The gateway's key check answers before the account API, in OPEA's shape (no code): not an AccountError.
        var gateway = FakeGateway.Failing(HttpStatusCode.Unauthorized,
            """{"detail":"The OpeaChat-User account does not exist, is locked, is not approved, or its password changed since this session began."}""");

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ClientFor(gateway, s_alice).ListAccountsAsync(CancellationToken.None));

        Assert.Contains("password changed since this session began", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_session_check_names_the_given_person_and_leaves_the_callers_own_alone()
    {
        var seen = new List<(string Path, string? User, string? Session)>();
        var gateway = new FakeGateway(request =>
        {
            seen.Add((request.RequestUri!.AbsolutePath, Header(request, ForwardedHeaders.User), Header(request, ForwardedHeaders.Session)));
            return FakeGateway.Respond(HttpStatusCode.OK, AccountJson, "application/json");
        });
        // As in the cookie's check: the request has no user yet.
        var http = new DefaultHttpContext();
        var client = ClientFor(gateway, http);

        Assert.True(await client.SessionStandsAsync("acc-alice", "old-stamp", CancellationToken.None));
        http.User = s_alice;
        await client.GetMeAsync(CancellationToken.None);

        // The check did not make the caller keep the empty user: the page's own calls still name the person.
        Assert.Equal([("/v1/accounts/me", "acc-alice", "old-stamp"), ("/v1/accounts/me", "acc-alice", "old-stamp")], seen);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "invalid_user", false)]
    [InlineData(HttpStatusCode.Unauthorized, null, true)]
    [InlineData(HttpStatusCode.TooManyRequests, null, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, null, true)]
    public async Task Only_the_gateways_refusal_of_the_person_ends_a_session(HttpStatusCode status, string? refusal, bool stands)
    {
        var gateway = FakeGateway.Failing(status, """{"detail":"No."}""", refusal);

        Assert.Equal(stands, await ClientFor(gateway, s_alice).SessionStandsAsync("acc-alice", "old-stamp", CancellationToken.None));
    }

    [Fact]
    public async Task The_session_check_of_a_gateway_that_cannot_be_reached_is_unreachable()
    {
        var gateway = new FakeGateway(_ => throw new HttpRequestException("Connection refused"));

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ClientFor(gateway, s_alice).SessionStandsAsync("acc-alice", "old-stamp", CancellationToken.None));

        Assert.Equal(ChatQnAFailure.Unreachable, error.Failure);
    }

    private static Task<(AccountRecord? Account, AccountError? Error)> ActAsync(AccountsClient client, string action) => action switch
    {
        "approve" => client.ApproveAsync("acc-bob", CancellationToken.None),
        "admin" => client.SetRoleAsync("acc-bob", "admin", CancellationToken.None),
        "member" => client.SetRoleAsync("acc-bob", "member", CancellationToken.None),
        "lock" => client.LockAsync("acc-bob", CancellationToken.None),
        "unlock" => client.UnlockAsync("acc-bob", CancellationToken.None),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    private static AccountsClient ClientFor(FakeGateway gateway, ClaimsPrincipal user) => ClientFor(gateway, new DefaultHttpContext { User = user });

    private static AccountsClient ClientFor(FakeGateway gateway, HttpContext context)
    {
        var services = new ServiceCollection()
            .AddSingleton<IHttpContextAccessor>(new HttpContextAccessor { HttpContext = context })
            .BuildServiceProvider();
        return new AccountsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") }, new GatewayCaller(new BrowserTab(), services));
    }

    private static string? Header(HttpRequestMessage request, string name) => request.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
