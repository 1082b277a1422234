using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;

namespace OpeaChat.Web.Components.Account;

/// <summary>
/// Sign-up, and on a fresh install the first admin. The gateway decides (its password rules, whether sign-up is open
/// or waits for approval); an account it approves at once is signed in here straight away.
/// </summary>
public sealed partial class SignUp : AccountPage
{
    private AccountsStatus? _status;
    private bool _waiting;

    [SupplyParameterFromForm(FormName = "sign-up")]
    private SignUpForm Input { get; set; } = default!;

    private string Heading => _status is { AdminExists: false } ? "Welcome to OpeaChat" : "Sign up";

    protected override async Task OnInitializedAsync()
    {
        Input ??= new(); // Null on a GET: only a post supplies the form.
        _status = await AccountsOnAsync();
        if (_status is { AdminExists: true, SignUp: "closed" })
        {
            Message = "Sign-up is closed here: ask an admin to make your account.";
        }
    }

    private async Task SignUpAsync()
    {
        var (account, error) = await Accounts.SignUpAsync(new SignUpRequest
        {
            UserName = Input.UserName!.Trim(),
            Password = Input.Password,
            DisplayName = string.IsNullOrWhiteSpace(Input.DisplayName) ? null : Input.DisplayName.Trim(),
        }, HttpContext.RequestAborted);
        if (account is null)
        {
            Message = error?.Detail ?? "Sign-up failed.";
            return;
        }

        if (!account.Approved)
        {
            _waiting = true;
            return;
        }

        await StartSessionAsync(account, "/");
    }

    public sealed class SignUpForm
    {
        [Required(ErrorMessage = "Choose a user name.")]
        [StringLength(64)]
        public string? UserName { get; set; }

        [StringLength(128)]
        public string? DisplayName { get; set; }

        [Required(ErrorMessage = "Choose a password.")]
        [StringLength(1024)]
        public string? Password { get; set; }

        [Compare(nameof(Password), ErrorMessage = "The two passwords differ.")]
        public string? ConfirmPassword { get; set; }
    }
}
