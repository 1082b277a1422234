using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// The session cookie's check on every request for a page (or the circuit): whether the gateway still takes this
/// person's session. The cookie alone cannot know that an admin locked or deleted the account, or that its password
/// changed in another browser; without this check such a session would stay signed in here and every page would only
/// show the gateway's refusal. Ended, the cookie goes, and the sign-in policy sends the person to sign in again.
/// </summary>
public static partial class SessionCheck
{
    /// <summary>For <see cref="CookieAuthenticationEvents.OnValidatePrincipal"/>.</summary>
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        // Static files and the account pages need nobody: no call to the gateway for them (the sign-in page among them).
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null || context.Principal.AccountId() is not { } accountId)
        {
            return;
        }

        var accounts = http.RequestServices.GetRequiredService<AccountsClient>();
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SessionCheck).FullName!);
        bool stands;
        try
        {
            stands = await accounts.SessionStandsAsync(accountId, context.Principal!.FindFirstValue(PersonClaims.SessionStampType), http.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (ChatQnAException exception) when (exception.Failure == ChatQnAFailure.Unreachable)
        {
            // A gateway that is down says nothing about the session: never sign people out for that. The pages then
            // show that the service cannot be reached, and the next request asks again.
            LogUnchecked(logger, accountId);
            return;
        }

        if (!stands)
        {
            LogEnded(logger, accountId);
            context.RejectPrincipal();
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The gateway no longer takes the session of account {AccountId}: signed out")]
    private static partial void LogEnded(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check the session of account {AccountId}: the gateway cannot be reached; the session stays")]
    private static partial void LogUnchecked(ILogger logger, string accountId);
}
