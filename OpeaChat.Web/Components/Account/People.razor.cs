using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Account;

/// <summary>
/// The admins' page of accounts: approve, change the role, lock and unlock, set a new password, delete (in two
/// deliberate steps). Each row's action is a form of its own (no script needed). The gateway decides every action, so
/// its refusals (the last admin, an admin locking themself) show on the page. Anyone but an admin gets the app's
/// "not found", as for any unknown address: the page does not tell them it exists.
/// </summary>
public sealed partial class People : AccountPage
{
    private bool _isAdmin;
    private string? _selfId;
    private IReadOnlyList<AccountRecord>? _accounts;
    private string? _notice;
    private string? _confirmDeleteId;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    /// <summary>The new password typed in the row whose "Reset password" was pressed (each row's form posts its own).</summary>
    [SupplyParameterFromForm]
    private string? NewPassword { get; set; }

    /// <summary>The account whose deletion waits for its second, deliberate click (<c>?delete=ID</c>, set by the first).</summary>
    [SupplyParameterFromQuery(Name = "delete")]
    private string? DeleteId { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _selfId = HttpContext.User.AccountId();
        _isAdmin = _selfId is not null && HttpContext.User.IsAdmin();
        if (!_isAdmin)
        {
            Navigation.NotFound();
            return;
        }

        _confirmDeleteId = DeleteId;
        await LoadAsync();
    }

    private Task ApproveAsync(AccountRecord account) =>
        ActAsync(() => Accounts.ApproveAsync(account.Id, HttpContext.RequestAborted), $"{account.UserName} is approved and can sign in now.");

    private async Task SetRoleAsync(AccountRecord account, string role)
    {
        var changed = await ActAsync(() => Accounts.SetRoleAsync(account.Id, role, HttpContext.RequestAborted),
            role == PersonClaims.AdminRole ? $"{account.UserName} is an admin now." : $"{account.UserName} is a member now.");
        if (changed is not null && changed.Id == _selfId)
        {
            // One's own role changed: the cookie says so too (the header's links), with this session's stamp kept.
            await WriteSessionAsync(changed with { SessionStamp = HttpContext.User.FindFirstValue(PersonClaims.SessionStampType) });
        }
    }

    private Task SetLockedAsync(AccountRecord account, bool locked) => locked
        ? ActAsync(() => Accounts.LockAsync(account.Id, HttpContext.RequestAborted), $"{account.UserName} is locked: their sessions and keys stop at once.")
        : ActAsync(() => Accounts.UnlockAsync(account.Id, HttpContext.RequestAborted), $"{account.UserName} is unlocked.");

    private async Task ResetPasswordAsync(AccountRecord account)
    {
        if (string.IsNullOrEmpty(NewPassword))
        {
            Message = $"Type the new password for {account.UserName} beside its button.";
            return;
        }

        await ActAsync(async () => (await Accounts.ResetPasswordAsync(account.Id, NewPassword, HttpContext.RequestAborted)) is { } refusal
            ? (null, refusal)
            : (account, null),
            $"{account.UserName}'s password is set (and any lockout ended): tell them the new one. Their other sessions must sign in again.");
    }

    private Task DeleteAsync(AccountRecord account) =>
        ActAsync(async () => (await Accounts.DeleteAccountAsync(account.Id, HttpContext.RequestAborted)) is { } refusal
            ? (null, refusal)
            : (account, null),
            $"{account.UserName} is deleted, with their chats, prompts and keys.");

    /// <summary>One action: the gateway's refusal or the notice, then the list as it is now.</summary>
    private async Task<AccountRecord?> ActAsync(Func<Task<(AccountRecord? Account, AccountError? Error)>> action, string done)
    {
        AccountRecord? result = null;
        _confirmDeleteId = null; // Any action ends the question of a deletion.
        try
        {
            var (account, error) = await action();
            result = account;
            Message = error?.Detail;
            _notice = error is null ? done : null;
        }
        catch (ChatQnAException exception)
        {
            Message = exception.Message;
        }

        await LoadAsync();
        return result;
    }

    private async Task LoadAsync()
    {
        try
        {
            var (accounts, error) = await Accounts.ListAccountsAsync(HttpContext.RequestAborted);
            _accounts = accounts;
            Message ??= error?.Detail;
        }
        catch (ChatQnAException exception)
        {
            _accounts = null;
            Message ??= exception.Message;
        }
    }

    private bool IsLocked(AccountRecord account) => account.LockedUntil is { } until && until > Clock.GetUtcNow();

    private string LockedText(AccountRecord account) => !IsLocked(account)
        ? "no"
        : account.LockedUntil!.Value.Year == 9999
            ? "until unlocked"
            : $"until {account.LockedUntil.Value.ToUniversalTime():yyyy-MM-dd HH:mm} UTC";
}
