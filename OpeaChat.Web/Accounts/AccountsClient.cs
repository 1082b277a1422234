using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// Typed client for the gateway's account API: whether accounts are on, sign-up and the password check behind
/// sign-in (the web keeps the session itself), and the signed-in person's API keys. A refusal comes back as the
/// gateway's <see cref="AccountError"/> (its message, code and field), for the form to show; a gateway that cannot be
/// reached throws <see cref="ChatQnAException"/>.
/// </summary>
public sealed class AccountsClient(HttpClient http, GatewayCaller? caller = null)
{
    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";

    public async Task<AccountsStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var (status, error) = await SendAsync(HttpMethod.Get, "v1/accounts/status", null, AccountsJsonContext.Default.AccountsStatus, cancellationToken).ConfigureAwait(false);
        return status ?? throw new ChatQnAException(ChatQnAFailure.Rejected, error?.Detail ?? "The gateway did not say whether accounts are on.");
    }

    public Task<(AccountRecord? Account, AccountError? Error)> SignInAsync(string userName, string password, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "v1/accounts/sign-in",
            JsonContent.Create(new SignInRequest { UserName = userName, Password = password }, AccountsJsonContext.Default.SignInRequest),
            AccountsJsonContext.Default.AccountRecord, cancellationToken);

    public Task<(AccountRecord? Account, AccountError? Error)> SignUpAsync(SignUpRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "v1/accounts/sign-up", JsonContent.Create(request, AccountsJsonContext.Default.SignUpRequest),
            AccountsJsonContext.Default.AccountRecord, cancellationToken);

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

    private async Task<(T? Value, AccountError? Error)> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendRawAsync(method, path, content, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false), null);
        }

        AccountError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(AccountsJsonContext.Default.AccountError, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Not the account API's shape (a proxy's page, a limit's answer): the general reading below.
        }

        if (error is null)
        {
            throw await ConversationsClient.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return (null, error);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        caller?.Stamp(request.Headers);
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
