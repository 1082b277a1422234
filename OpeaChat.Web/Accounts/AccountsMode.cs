using OpeaChat.Contracts.Accounts;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// Whether the gateway keeps accounts, as it last said (<c>GET /v1/accounts/status</c>), asked again at most every
/// <see cref="MaxAge"/>. The gateway's setting is the only one: the web has none of its own to disagree with it.
/// </summary>
public sealed class AccountsMode(TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    private (AccountsStatus Status, DateTimeOffset At)? _last;

    /// <summary>The last answer, however old; null before the gateway first answered.</summary>
    public AccountsStatus? LastKnown => _last?.Status;

    /// <summary>
    /// The gateway's answer, fresh enough (and always fresh while no admin exists). When it cannot be reached, the last answer stands; before any answer, local
    /// mode is assumed (every call of such a page fails anyway, and with accounts on the gateway refuses the web's calls
    /// that name no person).
    /// </summary>
    public async Task<AccountsStatus?> GetAsync(AccountsClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        // A fresh install is asked each time: once its first admin exists, the next visitor must be told to sign in.
        if (_last is { } last && clock.GetUtcNow() - last.At < MaxAge && !(last.Status.Enabled && !last.Status.AdminExists))
        {
            return last.Status;
        }

        try
        {
            var status = await client.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            _last = (status, clock.GetUtcNow());
            return status;
        }
        catch (Gateway.ChatQnAException)
        {
            return LastKnown;
        }
    }
}
