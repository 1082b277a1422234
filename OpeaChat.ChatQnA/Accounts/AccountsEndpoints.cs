using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.Contracts.Accounts;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>
/// <c>/v1/accounts</c>: the gateway side of sign-in. The web frontend (forwarder key) checks passwords, signs people
/// up and links OpenID Connect sign-ins here, then keeps its own session and names the person on each call with
/// <c>OpeaChat-User</c>. A person manages their password and personal keys; admins manage accounts.
/// </summary>
public static class AccountsEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup("/v1/accounts").WithTags("Accounts").AddEndpointFilter<AccountErrorFilter>();
        accounts.MapGet("/status", StatusAsync).WithName("AccountsStatus").WithSummary("Whether accounts are on, whether an admin exists, the sign-up mode.");

        // The web frontend's calls: forwarder key, no person yet.
        accounts.MapPost("/sign-up", SignUpAsync).WithName("SignUp").WithSummary("Make an account; the first on a fresh install becomes the admin.");
        accounts.MapPost("/sign-in", SignInAsync).WithName("CheckPassword").WithSummary("Check a password: the account, or 401 with the lockout.");
        accounts.MapPost("/external", ExternalAsync).WithName("ExternalSignIn").WithSummary("After OpenID Connect: find or make the account of (issuer, subject).");

        // The signed-in person.
        accounts.MapGet("/me", MeAsync).WithName("GetMyAccount");
        accounts.MapPost("/me/password", ChangePasswordAsync).WithName("ChangePassword");
        accounts.MapGet("/me/keys", ListKeysAsync).WithName("ListApiKeys").WithSummary("Personal API keys, without their secrets.");
        accounts.MapPost("/me/keys", CreateKeyAsync).WithName("CreateApiKey").WithSummary("Make a personal API key; the answer is the only time it is shown.");
        accounts.MapDelete("/me", DeleteMeAsync).WithName("DeleteMyAccount").WithSummary("Delete one's own account and everything it owns (a signed-in session, not a key).");
        accounts.MapDelete("/me/keys/{id}", RevokeKeyAsync).WithName("RevokeApiKey").WithSummary("Revoke a key; the next request with it is refused.");

        // Admins.
        accounts.MapGet("/", ListAsync).WithName("ListAccounts");
        accounts.MapPost("/{id}/approve", ApproveAsync).WithName("ApproveAccount");
        accounts.MapPost("/{id}/password", ResetPasswordAsync).WithName("ResetPassword").WithSummary("Set a new password for the account (and end its lockout).");
        accounts.MapPut("/{id}/role", SetRoleAsync).WithName("SetAccountRole");
        accounts.MapDelete("/{id}", DeleteAsync).WithName("DeleteAccount").WithSummary("Delete an account and everything it owns; its shared prompts pass to another admin.");
        accounts.MapPost("/{id}/lock", (string id, AccountService service, CancellationToken ct) => SetLockedAsync(id, true, service, ct)).WithName("LockAccount");
        accounts.MapPost("/{id}/unlock", (string id, AccountService service, CancellationToken ct) => SetLockedAsync(id, false, service, ct)).WithName("UnlockAccount");
        return app;
    }

    private static async Task<IResult> StatusAsync(AccountService service, CancellationToken cancellationToken) =>
        TypedResults.Json(await service.StatusAsync(cancellationToken), AccountsJsonContext.Default.AccountsStatus);

    private static async Task<IResult> SignUpAsync(HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireForwarder(options);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.SignUpRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var account = await service.SignUpAsync(body!, cancellationToken);
        return TypedResults.Json(account, AccountsJsonContext.Default.AccountRecord, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> SignInAsync(HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireForwarder(options);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.SignInRequest, cancellationToken);
        return error ?? TypedResults.Json(await service.CheckPasswordAsync(body!, cancellationToken), AccountsJsonContext.Default.AccountRecord);
    }

    private static async Task<IResult> ExternalAsync(HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireForwarder(options);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.ExternalSignInRequest, cancellationToken);
        return error ?? TypedResults.Json(await service.ExternalSignInAsync(body!, cancellationToken), AccountsJsonContext.Default.AccountRecord);
    }

    private static async Task<IResult> MeAsync(AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken) =>
        TypedResults.Json(await service.GetAsync(RequirePerson(options).OwnerId, cancellationToken), AccountsJsonContext.Default.AccountRecord);

    private static async Task<IResult> ChangePasswordAsync(HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        var person = RequirePerson(options, signedIn: true);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.PasswordChangeRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        await service.ChangePasswordAsync(person.OwnerId, body!, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListKeysAsync(AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken) =>
        TypedResults.Json(new ApiKeyList(await service.ListKeysAsync(RequirePerson(options).OwnerId, cancellationToken)), AccountsJsonContext.Default.ApiKeyList);

    private static async Task<IResult> CreateKeyAsync(HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        // Only from a signed-in session: a leaked key must not mint more keys.
        var person = RequirePerson(options, signedIn: true);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.ApiKeyDraft, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var created = await service.CreateKeyAsync(person.OwnerId, body!, cancellationToken);
        return TypedResults.Json(created, AccountsJsonContext.Default.CreatedApiKey, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RevokeKeyAsync(string id, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        var person = RequirePerson(options);
        return Guid.TryParse(id, out var keyId) && await service.RevokeKeyAsync(person.OwnerId, keyId, cancellationToken)
            ? TypedResults.NoContent()
            : new AccountErrorResult(StatusCodes.Status404NotFound, new AccountError { Detail = $"Key '{id}' not found.", Code = "not_found" });
    }

    private static async Task<IResult> DeleteMeAsync(AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        // Not with a personal key: a key that leaked must not be able to erase its person.
        var person = RequirePerson(options, signedIn: true);
        await service.DeleteAsync(person.OwnerId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteAsync(string id, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(options);
        await service.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListAsync(AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(options);
        return TypedResults.Json(new AccountList(await service.ListAsync(cancellationToken)), AccountsJsonContext.Default.AccountList);
    }

    private static async Task<IResult> ApproveAsync(string id, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(options);
        return TypedResults.Json(await service.ApproveAsync(id, cancellationToken), AccountsJsonContext.Default.AccountRecord);
    }

    private static async Task<IResult> ResetPasswordAsync(string id, HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(options);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.PasswordResetRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        await service.ResetPasswordAsync(id, body!, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> SetRoleAsync(string id, HttpRequest request, AccountService service, IOptionsMonitor<AccountsOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(options);
        var (body, error) = await ConversationErrors.ReadBodyAsync(request, AccountsJsonContext.Default.RoleChangeRequest, cancellationToken);
        return error ?? TypedResults.Json(await service.SetRoleAsync(id, body!, cancellationToken), AccountsJsonContext.Default.AccountRecord);
    }

    private static async Task<IResult> SetLockedAsync(string id, bool locked, AccountService service, CancellationToken cancellationToken)
    {
        var admin = OwnerScope.Current is { IsPerson: true, IsAdmin: true } caller ? caller : throw AdminRequired();
        return TypedResults.Json(await service.SetLockedAsync(id, locked, admin.OwnerId, cancellationToken), AccountsJsonContext.Default.AccountRecord);
    }

    private static void RequireEnabled(IOptionsMonitor<AccountsOptions> options)
    {
        if (!options.CurrentValue.Enabled || OwnerScope.Current is null)
        {
            throw AccountException.Of(StatusCodes.Status409Conflict, "accounts_disabled",
                "Accounts are off on this gateway (ChatQnA:Accounts:Enabled): it runs in local mode, with no sign-in.");
        }
    }

    private static void RequireForwarder(IOptionsMonitor<AccountsOptions> options)
    {
        RequireEnabled(options);
        if (OwnerScope.Current!.Kind != CallerKind.Forwarder)
        {
            throw AccountException.Of(StatusCodes.Status403Forbidden, "forwarder_required",
                "Only the web frontend (its forwarder key, without OpeaChat-User) signs people in and up.");
        }
    }

    private static Caller RequirePerson(IOptionsMonitor<AccountsOptions> options, bool signedIn = false)
    {
        RequireEnabled(options);
        var caller = OwnerScope.Current!;
        if (!caller.IsPerson || (signedIn && caller.ViaPersonalKey))
        {
            throw AccountException.Of(StatusCodes.Status403Forbidden, "person_required", signedIn
                ? "This needs a signed-in person (the web frontend's session), not an API key."
                : "This needs a person: a signed-in session or a personal API key.");
        }

        return caller;
    }

    private static void RequireAdmin(IOptionsMonitor<AccountsOptions> options)
    {
        RequireEnabled(options);
        if (OwnerScope.Current is not { IsPerson: true, IsAdmin: true })
        {
            throw AdminRequired();
        }
    }

    private static AccountException AdminRequired() =>
        AccountException.Of(StatusCodes.Status403Forbidden, "admin_required", "Only an admin may do this.");
}

/// <summary>An account refusal: FastAPI's <c>detail</c> with a <c>code</c> (and the lockout's end) beside it.</summary>
public sealed class AccountErrorResult(int status, AccountError error) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => status;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = status;
        return httpContext.Response.WriteAsJsonAsync(error, AccountsJsonContext.Default.AccountError, "application/json; charset=utf-8", httpContext.RequestAborted);
    }
}

/// <summary>Turns <see cref="AccountException"/> into its answer, once for the whole group.</summary>
public sealed class AccountErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context);
        }
        catch (AccountException exception)
        {
            return new AccountErrorResult(exception.Status, exception.Error);
        }
    }
}
