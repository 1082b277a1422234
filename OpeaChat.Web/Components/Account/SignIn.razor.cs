using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;

namespace OpeaChat.Web.Components.Account;

/// <summary>
/// The password check is the gateway's (with its lockout); the session is this app's cookie, holding the account the
/// gateway answered with. Rendered on the server without a circuit, as a plain form, so it works before any script.
/// </summary>
public sealed partial class SignIn : AccountPage
{
    private AccountsStatus? _status;

    [SupplyParameterFromQuery]
    private string? ReturnUrl { get; set; }

    /// <summary>Why single sign-on came back without a session (a code, said in this page's words).</summary>
    [SupplyParameterFromQuery(Name = SingleSignOn.FailureParameter)]
    private string? SingleSignOnFailure { get; set; }

    [SupplyParameterFromForm(FormName = "sign-in")]
    private SignInForm Input { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        Input ??= new(); // Null on a GET: only a post supplies the form.
        _status = await AccountsOnAsync();
        Message ??= SingleSignOn.Describe(SingleSignOnFailure);
        if (_status is { AdminExists: false } && Message is null)
        {
            Navigation.NavigateTo(AccountEndpoints.SignUpPath); // A fresh install: make the admin first.
        }
    }

    private async Task SignInAsync()
    {
        var (account, error) = await Accounts.SignInAsync(Input.UserName!.Trim(), Input.Password!, HttpContext.RequestAborted);
        if (account is null)
        {
            Message = Describe(error);
            return;
        }

        await StartSessionAsync(account, AccountEndpoints.SafeReturnUrl(ReturnUrl));
    }

    /// <summary>The gateway's reason, with what it adds: the attempts left before the lockout, or when it ends.</summary>
    public static string Describe(AccountError? error) => error switch
    {
        null => "Sign-in failed.",
        { AttemptsLeft: { } left } => $"{error.Detail} {left} {(left == 1 ? "attempt" : "attempts")} left before the account is locked for a while.",
        { LockedUntil: { } until } when until.Year < 9999 => $"{error.Detail} Try again after {until.ToUniversalTime():HH:mm} UTC.",
        _ => error.Detail,
    };

    public sealed class SignInForm
    {
        [Required(ErrorMessage = "Enter your user name.")]
        [StringLength(256)]
        public string? UserName { get; set; }

        [Required(ErrorMessage = "Enter your password.")]
        [StringLength(1024)]
        public string? Password { get; set; }
    }
}
