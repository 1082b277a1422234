using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;

namespace OpeaChat.Web.Components.Account;

/// <summary>What the server-rendered account pages share: the gateway's account API, its mode, the session cookie.</summary>
public abstract class AccountPage : ComponentBase
{
    [CascadingParameter]
    protected HttpContext HttpContext { get; set; } = default!;

    [Inject]
    protected AccountsClient Accounts { get; set; } = default!;

    [Inject]
    protected AccountsMode Mode { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    /// <summary>The refusal or notice the page shows, if any.</summary>
    protected string? Message { get; set; }

    /// <summary>
    /// Whether the gateway keeps accounts: in local mode the page leads back to the chat; a gateway that cannot be
    /// reached is said on the page. Null in both cases.
    /// </summary>
    protected async Task<AccountsStatus?> AccountsOnAsync()
    {
        var status = await Mode.GetAsync(Accounts, HttpContext.RequestAborted);
        if (status is null)
        {
            Message = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running, then reload.";
        }
        else if (!status.Enabled)
        {
            Navigation.NavigateTo("/"); // Local mode: nobody signs in.
            return null;
        }

        return status;
    }

    /// <summary>This app's session cookie for the account the gateway answered with, then on to <paramref name="path"/>.</summary>
    protected async Task StartSessionAsync(AccountRecord account, string path)
    {
        await WriteSessionAsync(account);
        Navigation.NavigateTo(path);
    }

    /// <summary>
    /// This app's session cookie for the account, written over the one the browser has: after a password change it
    /// carries the new session stamp, so this browser stays signed in while the gateway refuses the old stamp elsewhere.
    /// </summary>
    protected Task WriteSessionAsync(AccountRecord account) =>
        HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PersonClaims.ToPrincipal(account));
}
