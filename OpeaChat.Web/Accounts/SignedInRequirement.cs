using Microsoft.AspNetCore.Authorization;

namespace OpeaChat.Web.Accounts;

/// <summary>Every page but the account pages: a signed-in person when the gateway keeps accounts, anyone in local mode.</summary>
public sealed class SignedInRequirement : IAuthorizationRequirement
{
    public static AuthorizationPolicy Policy { get; } = new AuthorizationPolicyBuilder().AddRequirements(new SignedInRequirement()).Build();
}

public sealed class SignedInRequirementHandler(AccountsClient accounts, AccountsMode mode) : AuthorizationHandler<SignedInRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, SignedInRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = (context.Resource as HttpContext)?.RequestAborted ?? CancellationToken.None;
        if (context.User.AccountId() is not null || (await mode.GetAsync(accounts, cancellationToken).ConfigureAwait(false))?.Enabled != true)
        {
            context.Succeed(requirement);
        }
    }
}
