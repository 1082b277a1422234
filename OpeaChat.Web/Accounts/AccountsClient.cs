using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// Typed client for the gateway's account API: whether accounts are on, sign-up and the password check behind
/// sign-in (the web keeps the session itself), the signed-in person's password and API keys, and the admins'
/// management of accounts. A refusal comes back as the gateway's <see cref="AccountError"/> (its message, code and
/// field), for the form to show; a gateway that cannot be reached throws <see cref="ChatQnAException"/>.
/// </summary>
public sealed class AccountsClient(HttpClient http, GatewayCaller? caller = null)
{
    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";

    public async Task<AccountsStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var (status, error) = await SendAsync(HttpMethod.Get, "v1/accounts/status", null, AccountsJsonContext.Default.AccountsStatus, cancellationToken).ConfigureAwait(false);
        return status ?? throw new ChatQnAException(ChatQnAFailure.Rejected, error?.Detail ?? "The gateway did not say whether accounts are on.");
    }

    /// <summary>The password check behind sign-in: the web's own call, naming nobody (whoever may be signed in already).</summary>
    public Task<(AccountRecord? Account, AccountError? Error)> SignInAsync(string userName, string password, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "v1/accounts/sign-in",
            JsonContent.Create(new SignInRequest { UserName = userName, Password = password }, AccountsJsonContext.Default.SignInRequest),
            AccountsJsonContext.Default.AccountRecord, cancellationToken, person: false);

    public Task<(AccountRecord? Account, AccountError? Error)> SignUpAsync(SignUpRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "v1/accounts/sign-up", JsonContent.Create(request, AccountsJsonContext.Default.SignUpRequest),
            AccountsJsonContext.Default.AccountRecord, cancellationToken, person: false);

    /// <summary>After the provider's sign-in: the account of (issuer, subject), made at the first sign-in; the web's own call, naming nobody.</summary>
    public Task<(AccountRecord? Account, AccountError? Error)> ExternalSignInAsync(ExternalSignInRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "v1/accounts/external", JsonContent.Create(request, AccountsJsonContext.Default.ExternalSignInRequest),
            AccountsJsonContext.Default.AccountRecord, cancellationToken, person: false);

    /// <summary>The signed-in person's account as the gateway has it now (user name, whether it is external).</summary>
    public Task<(AccountRecord? Account, AccountError? Error)> GetMeAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "v1/accounts/me", null, AccountsJsonContext.Default.AccountRecord, cancellationToken);

    /// <summary>
    /// Whether the gateway still takes the session of <paramref name="accountId"/> begun with <paramref name="sessionStamp"/>:
    /// false when it refuses that person (the account was locked, deleted or unapproved, or its password changed since).
    /// Named here, not through <see cref="GatewayCaller"/>: the cookie's check runs before the request has its user.
    /// Any other answer leaves the session standing; a gateway that cannot be reached throws <see cref="ChatQnAException"/>.
    /// </summary>
    public async Task<bool> SessionStandsAsync(string accountId, string? sessionStamp, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/accounts/me");
        // person: false, so that the caller does not look up (and keep) a user the request does not have yet.
        caller?.Stamp(request.Headers, person: false);
        request.Headers.TryAddWithoutValidation(ForwardedHeaders.User, accountId);
        if (sessionStamp is { Length: > 0 })
        {
            request.Headers.TryAddWithoutValidation(ForwardedHeaders.Session, sessionStamp);
        }

        using var response = await TransmitAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return true;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return !ConversationsClient.EndsSession(response, body);
    }

    /// <summary>
    /// Changes the signed-in person's password, then checks the new one as sign-in does: the gateway gave the account a
    /// new session stamp (every other session now stands refused), and the answer carries it for this session's cookie.
    /// </summary>
    /// <param name="userName">The person's user name, for the check with the new password.</param>
    public async Task<(AccountRecord? Account, AccountError? Error)> ChangePasswordAsync(
        string userName, string currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        var refusal = await SendForRefusalAsync(HttpMethod.Post, "v1/accounts/me/password",
            JsonContent.Create(new PasswordChangeRequest { CurrentPassword = currentPassword, NewPassword = newPassword }, AccountsJsonContext.Default.PasswordChangeRequest),
            cancellationToken).ConfigureAwait(false);
        // The gateway answers 204 without the new stamp; this session's own (now old) stamp could not ask for it.
        return refusal is null ? await SignInAsync(userName, newPassword, cancellationToken).ConfigureAwait(false) : (null, refusal);
    }

    /// <summary>Every account, oldest first (admins only; anyone else gets <c>admin_required</c>).</summary>
    public async Task<(IReadOnlyList<AccountRecord>? Accounts, AccountError? Error)> ListAccountsAsync(CancellationToken cancellationToken = default)
    {
        var (list, error) = await SendAsync(HttpMethod.Get, "v1/accounts", null, AccountsJsonContext.Default.AccountList, cancellationToken).ConfigureAwait(false);
        return (list?.Data, error);
    }

    public Task<(AccountRecord? Account, AccountError? Error)> ApproveAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, AccountPath(id, "/approve"), null, AccountsJsonContext.Default.AccountRecord, cancellationToken);

    /// <param name="role"><c>admin</c> or <c>member</c>; the gateway refuses to demote the last admin (<c>last_admin</c>).</param>
    public Task<(AccountRecord? Account, AccountError? Error)> SetRoleAsync(string id, string role, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, AccountPath(id, "/role"), JsonContent.Create(new RoleChangeRequest { Role = role }, AccountsJsonContext.Default.RoleChangeRequest),
            AccountsJsonContext.Default.AccountRecord, cancellationToken);

    /// <summary>Locks the account until an admin unlocks it: its sessions and keys stop at once.</summary>
    public Task<(AccountRecord? Account, AccountError? Error)> LockAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, AccountPath(id, "/lock"), null, AccountsJsonContext.Default.AccountRecord, cancellationToken);

    public Task<(AccountRecord? Account, AccountError? Error)> UnlockAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, AccountPath(id, "/unlock"), null, AccountsJsonContext.Default.AccountRecord, cancellationToken);

    /// <summary>An admin sets a new password for the account (ending its lockout); null when done, else the refusal.</summary>
    public Task<AccountError?> ResetPasswordAsync(string id, string newPassword, CancellationToken cancellationToken = default) =>
        SendForRefusalAsync(HttpMethod.Post, AccountPath(id, "/password"),
            JsonContent.Create(new PasswordResetRequest { NewPassword = newPassword }, AccountsJsonContext.Default.PasswordResetRequest), cancellationToken);

    /// <summary>Deletes the account and everything it owns; null when done, else the refusal (the last admin stays).</summary>
    public Task<AccountError?> DeleteAccountAsync(string id, CancellationToken cancellationToken = default) =>
        SendForRefusalAsync(HttpMethod.Delete, AccountPath(id, string.Empty), null, cancellationToken);

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        var (list, error) = await SendAsync(HttpMethod.Get, "v1/accounts/me/keys", null, AccountsJsonContext.Default.ApiKeyList, cancellationToken).ConfigureAwait(false);
        return list?.Data ?? throw new ChatQnAException(ChatQnAFailure.Rejected, error?.Detail ?? "The gateway did not list the keys.");
    }

    public Task<(CreatedApiKey? Key, AccountError? Error)> CreateKeyAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "v1/accounts/me/keys", JsonContent.Create(new ApiKeyDraft { Name = name }, AccountsJsonContext.Default.ApiKeyDraft),
            AccountsJsonContext.Default.CreatedApiKey, cancellationToken);

    /// <summary>Revokes one of the signed-in person's keys; false when it was not theirs (or is gone already).</summary>
    public async Task<bool> RevokeKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Delete, "v1/accounts/me/keys/" + Uri.EscapeDataString(id), null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ConversationsClient.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static string AccountPath(string id, string action) => "v1/accounts/" + Uri.EscapeDataString(id) + action;

    private async Task<(T? Value, AccountError? Error)> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type,
        CancellationToken cancellationToken, bool person = true)
        where T : class
    {
        using var response = await SendRawAsync(method, path, content, cancellationToken, person).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false), null);
        }

        return (null, await ReadRefusalAsync(response, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A call whose success has no body (204): null, or the gateway's refusal.</summary>
    private async Task<AccountError?> SendForRefusalAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? null : await ReadRefusalAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The account API's refusal; any other failure (not its shape) throws <see cref="ChatQnAException"/>.</summary>
    private static async Task<AccountError> ReadRefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        AccountError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(AccountsJsonContext.Default.AccountError, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Not the account API's shape (a proxy's page, a limit's answer): the general reading below.
        }

        return error ?? throw await ConversationsClient.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, bool person = true)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        caller?.Stamp(request.Headers, person);
        return await TransmitAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> TransmitAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Refused, or no answer within the client's timeout: either way the gateway cannot be used now.
            throw new ChatQnAException(ChatQnAFailure.Unreachable, UnreachableMessage, innerException: exception);
        }
    }
}
