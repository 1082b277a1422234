using System.Text.Json.Serialization;

namespace OpeaChat.Contracts.Accounts;

/// <summary><c>GET /v1/accounts/status</c>: whether the gateway keeps accounts and whether its first admin exists yet.</summary>
public sealed record AccountsStatus
{
    /// <summary>False in local mode: one implicit owner, no sign-in.</summary>
    public bool Enabled { get; init; }

    /// <summary>False on a fresh install: the next sign-up becomes the admin.</summary>
    public bool AdminExists { get; init; }

    /// <summary><c>closed</c>, <c>approval</c> or <c>open</c> (<c>ChatQnA:Accounts:SignUp</c>).</summary>
    public required string SignUp { get; init; }
}

/// <summary>One account as the gateway shows it (never a password or its hash).</summary>
public sealed record AccountRecord
{
    public required string Id { get; init; }
    public required string UserName { get; init; }
    public string? DisplayName { get; init; }
    public string? Email { get; init; }

    /// <summary><c>admin</c> or <c>member</c>.</summary>
    public required string Role { get; init; }

    /// <summary>False while a sign-up waits for an admin's approval.</summary>
    public bool Approved { get; init; }

    /// <summary>Set while the account is locked (failed sign-ins, or an admin's lock); null otherwise.</summary>
    public DateTimeOffset? LockedUntil { get; init; }

    /// <summary>True when the account signs in through OpenID Connect (it may have no password).</summary>
    public bool External { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// Only in the answers of sign-in, sign-up, external sign-in and <c>me</c>: an opaque value that changes when the
    /// password is changed or reset. The web keeps it in its session and sends it as <c>OpeaChat-Session</c>; a
    /// session with an old one is refused (401 <c>invalid_user</c>), so a password change signs out everywhere else.
    /// </summary>
    public string? SessionStamp { get; init; }
}

public sealed record AccountList(IReadOnlyList<AccountRecord> Data);

/// <summary>Body of <c>POST /v1/accounts/sign-up</c>.</summary>
public sealed record SignUpRequest
{
    public string? UserName { get; init; }
    public string? Password { get; init; }
    public string? Email { get; init; }
    public string? DisplayName { get; init; }
}

/// <summary>Body of <c>POST /v1/accounts/sign-in</c>: the web checks a password here, then keeps its own session.</summary>
public sealed record SignInRequest
{
    public string? UserName { get; init; }
    public string? Password { get; init; }
}

/// <summary>Refusals of the account API: FastAPI's <c>detail</c> plus a machine-readable code (and the lockout's end).</summary>
public sealed record AccountError
{
    public required string Detail { get; init; }

    /// <summary>
    /// <c>invalid_credentials</c>, <c>locked_out</c>, <c>pending_approval</c>, <c>sign_up_closed</c>, <c>accounts_disabled</c>,
    /// <c>admin_required</c>, <c>person_required</c>, <c>forwarder_required</c>, <c>invalid_password</c>, <c>user_name_taken</c>,
    /// <c>not_found</c>, <c>last_admin</c>.
    /// </summary>
    public required string Code { get; init; }

    /// <summary>With <c>locked_out</c>: when sign-in is allowed again.</summary>
    public DateTimeOffset? LockedUntil { get; init; }

    /// <summary>With <c>invalid_credentials</c> for an existing account: failed attempts left before the lockout.</summary>
    public int? AttemptsLeft { get; init; }

    /// <summary>The body field at fault, when there is one.</summary>
    public string? Field { get; init; }
}

/// <summary>Body of <c>POST /v1/accounts/me/password</c>.</summary>
public sealed record PasswordChangeRequest
{
    public string? CurrentPassword { get; init; }
    public string? NewPassword { get; init; }
}

/// <summary>Body of <c>POST /v1/accounts/{id}/password</c> (an admin sets a new password).</summary>
public sealed record PasswordResetRequest
{
    public string? NewPassword { get; init; }
}

/// <summary>Body of <c>PUT /v1/accounts/{id}/role</c>.</summary>
public sealed record RoleChangeRequest
{
    public string? Role { get; init; }
}

/// <summary>
/// Body of <c>POST /v1/accounts/external</c>: the web calls it after its OpenID Connect callback, with the forwarder key,
/// to find or create the person's account.
/// </summary>
public sealed record ExternalSignInRequest
{
    public string? Issuer { get; init; }
    public string? Subject { get; init; }
    public string? Email { get; init; }
    public string? Name { get; init; }

    /// <summary>True when the token carried the configured admin claim (the web maps it; the gateway trusts the forwarder).</summary>
    public bool Admin { get; init; }
}

/// <summary>Body of <c>POST /v1/accounts/me/keys</c>.</summary>
public sealed record ApiKeyDraft
{
    public string? Name { get; init; }
}

/// <summary>A personal API key without its secret: the list shows these.</summary>
public sealed record ApiKeyRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary>The key's first characters (<c>ocp_AbCd</c>), to tell keys apart; not enough to use it.</summary>
    public required string Prefix { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
}

/// <summary>The answer to creating a key: the only time the whole key is shown.</summary>
public sealed record CreatedApiKey
{
    public required ApiKeyRecord Record { get; init; }

    /// <summary>The secret, to send as <c>Authorization: Bearer KEY</c>. Not kept by the gateway; shown once.</summary>
    public required string Key { get; init; }
}

public sealed record ApiKeyList(IReadOnlyList<ApiKeyRecord> Data);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AccountsStatus))]
[JsonSerializable(typeof(AccountRecord))]
[JsonSerializable(typeof(AccountList))]
[JsonSerializable(typeof(SignUpRequest))]
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(AccountError))]
[JsonSerializable(typeof(PasswordChangeRequest))]
[JsonSerializable(typeof(PasswordResetRequest))]
[JsonSerializable(typeof(RoleChangeRequest))]
[JsonSerializable(typeof(ExternalSignInRequest))]
[JsonSerializable(typeof(ApiKeyDraft))]
[JsonSerializable(typeof(ApiKeyRecord))]
[JsonSerializable(typeof(CreatedApiKey))]
[JsonSerializable(typeof(ApiKeyList))]
public sealed partial class AccountsJsonContext : JsonSerializerContext;
