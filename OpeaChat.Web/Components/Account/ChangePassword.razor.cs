using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Account;

/// <summary>
/// The signed-in person changes their own password. The gateway checks the current one and its rules; its refusal is
/// shown beside the field it names. Done, the gateway's new session stamp goes into this browser's cookie, so this
/// session goes on while every other one (with the old stamp) is refused.
/// </summary>
public sealed partial class ChangePassword : AccountPage
{
    private AccountRecord? _account;
    private bool _changed;

    [SupplyParameterFromForm(FormName = "change-password")]
    private PasswordForm Input { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        Input ??= new(); // Null on a GET: only a post supplies the form.
        if (HttpContext.User.AccountId() is null)
        {
            Navigation.NavigateTo("/"); // Local mode: nobody has a password.
            return;
        }

        try
        {
            // The gateway's word, not the cookie's: the user name for the new password's check, whether it is external.
            var (account, error) = await Accounts.GetMeAsync(HttpContext.RequestAborted);
            _account = account;
            Message = error?.Detail;
        }
        catch (ChatQnAException exception)
        {
            Message = exception.Message;
        }
    }

    private async Task ChangeAsync(EditContext form)
    {
        if (_account is not { External: false } me)
        {
            return;
        }

        try
        {
            var (account, error) = await Accounts.ChangePasswordAsync(me.UserName, Input.CurrentPassword!, Input.NewPassword!, HttpContext.RequestAborted);
            if (account is null)
            {
                // Not sent back into the page's HTML: typed again after a refusal.
                Input.CurrentPassword = Input.NewPassword = Input.ConfirmPassword = null;
                ShowRefusal(form, error);
                return;
            }

            await WriteSessionAsync(account);
            _changed = true;
        }
        catch (ChatQnAException exception)
        {
            Message = exception.Message;
        }
    }

    /// <summary>The gateway's reason under the field it names (the current password, the new one), else above the form.</summary>
    private void ShowRefusal(EditContext form, AccountError? error)
    {
        var field = error?.Field switch
        {
            "current_password" => nameof(PasswordForm.CurrentPassword),
            "new_password" => nameof(PasswordForm.NewPassword),
            _ => null,
        };
        if (field is null || error is null)
        {
            Message = error?.Detail ?? "The password was not changed.";
            return;
        }

        var messages = new ValidationMessageStore(form);
        messages.Add(form.Field(field), error.Detail);
        form.NotifyValidationStateChanged();
    }

    public sealed class PasswordForm
    {
        [Required(ErrorMessage = "Enter your current password.")]
        [StringLength(1024)]
        public string? CurrentPassword { get; set; }

        [Required(ErrorMessage = "Choose a new password.")]
        [StringLength(1024)]
        public string? NewPassword { get; set; }

        [Compare(nameof(NewPassword), ErrorMessage = "The two new passwords differ.")]
        public string? ConfirmPassword { get; set; }
    }
}
