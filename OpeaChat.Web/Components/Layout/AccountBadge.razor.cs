using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using OpeaChat.Web.Accounts;

namespace OpeaChat.Web.Components.Layout;

public sealed partial class AccountBadge
{
    [CascadingParameter]
    private Task<AuthenticationState>? AuthenticationState { get; set; }

    [Inject]
    private AccountsMode Mode { get; set; } = default!;

    private ClaimsPrincipal? User { get; set; }

    private string? Name => User?.Identity?.Name;

    protected override async Task OnParametersSetAsync() =>
        User = AuthenticationState is null ? null : (await AuthenticationState).User;
}
