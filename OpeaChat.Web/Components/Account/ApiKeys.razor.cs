using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Account;

/// <summary>The signed-in person's personal API keys: made here (shown once), listed without their secrets, revoked.</summary>
public sealed partial class ApiKeys : AccountPage
{
    private IReadOnlyList<ApiKeyRecord>? _keys;
    private CreatedApiKey? _created;

    [SupplyParameterFromForm(FormName = "create-key")]
    private KeyDraft Draft { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "revoke-key")]
    private string? RevokeId { get; set; }

    protected override async Task OnInitializedAsync()
    {
        Draft ??= new(); // Null on a GET: only a post supplies the form.
        if (HttpContext.User.AccountId() is null)
        {
            // Local mode has no people, so no personal keys: the configured service keys are the API's keys there.
            Navigation.NavigateTo("/");
            return;
        }

        await LoadAsync();
    }

    private async Task CreateAsync()
    {
        var (created, error) = await Accounts.CreateKeyAsync(Draft.Name!.Trim(), HttpContext.RequestAborted);
        _created = created;
        Message = error?.Detail;
        Draft = new KeyDraft();
        await LoadAsync();
    }

    private async Task RevokeAsync()
    {
        if (RevokeId is { Length: > 0 } id && !await Accounts.RevokeKeyAsync(id, HttpContext.RequestAborted))
        {
            Message = "That key is not one of yours, or it was revoked already.";
        }

        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        try
        {
            _keys = await Accounts.ListKeysAsync(HttpContext.RequestAborted);
        }
        catch (ChatQnAException exception)
        {
            Message = exception.Message;
        }
    }

    public sealed class KeyDraft
    {
        [Required(ErrorMessage = "Name the key, to tell it apart later.")]
        [StringLength(100)]
        public string? Name { get; set; }
    }
}
