using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using OpeaChat.Contracts.Accounts;

namespace OpeaChat.Web.Accounts;

/// <summary>What the web's session cookie says about the signed-in person: the gateway's account, as sign-in returned it.</summary>
public static class PersonClaims
{
    /// <summary>The gateway's session stamp, sent back as <see cref="ForwardedHeaders.Session"/>.</summary>
    public const string SessionStampType = "opeachat:session";

    /// <summary>Present when the account signs in through OpenID Connect: its password (if any) is not changed here.</summary>
    public const string ExternalType = "opeachat:external";

    public const string AdminRole = "admin";

    public const string MemberRole = "member";

    public static ClaimsPrincipal ToPrincipal(AccountRecord account)
    {
        ArgumentNullException.ThrowIfNull(account);
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, account.Id),
            new(ClaimTypes.Name, string.IsNullOrWhiteSpace(account.DisplayName) ? account.UserName : account.DisplayName),
            new(ClaimTypes.Role, account.Role),
        ];
        if (account.SessionStamp is { Length: > 0 } stamp)
        {
            claims.Add(new Claim(SessionStampType, stamp));
        }

        if (account.External)
        {
            claims.Add(new Claim(ExternalType, "true"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    /// <summary>The account id of a signed-in person; null for anyone else.</summary>
    public static string? AccountId(this ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    public static bool IsAdmin(this ClaimsPrincipal? user) => user?.IsInRole(AdminRole) == true;

    public static bool IsExternal(this ClaimsPrincipal? user) => user?.HasClaim(ExternalType, "true") == true;
}
