using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// Single sign-on through an OpenID Connect provider (configuration section <c>SingleSignOn</c>): off until
/// <see cref="Authority"/> is set. The provider proves who the person is; the gateway finds or makes their account.
/// </summary>
public sealed class SingleSignOnOptions
{
    public const string SectionName = "SingleSignOn";

    /// <summary>The authentication scheme of the OpenID Connect handler.</summary>
    public const string Scheme = "oidc";

    /// <summary>The provider's issuer address, where <c>.well-known/openid-configuration</c> is found.</summary>
    public string? Authority { get; set; }

    [StringLength(256)]
    public string? ClientId { get; set; }

    /// <summary>The client's secret (a confidential client); none for a public client with PKCE only. Never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The provider's name on the sign-in button: "Sign in with <c>DisplayName</c>".</summary>
    [Required]
    [StringLength(64, MinimumLength = 1)]
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>Scopes asked for, separated by spaces; <c>openid</c> is required.</summary>
    [Required]
    public string Scopes { get; set; } = "openid profile email";

    /// <summary>The claim that makes an admin (for example <c>groups</c> or <c>roles</c>), with <see cref="AdminClaimValue"/>.</summary>
    public string? AdminClaim { get; set; }

    /// <summary>The value of <see cref="AdminClaim"/> that makes an admin (for example <c>opeachat-admins</c>).</summary>
    public string? AdminClaimValue { get; set; }

    /// <summary>False only for a provider on plain http (a test, or a provider on a private network).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Ask the provider's userinfo endpoint for the name and e-mail too (when its ID token does not carry them).</summary>
    public bool GetClaimsFromUserInfoEndpoint { get; set; }

    /// <summary>Where the provider sends the browser back; register <c>https://your-host/signin-oidc</c> with it.</summary>
    [Required]
    public string CallbackPath { get; set; } = "/signin-oidc";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>The scopes of <see cref="Scopes"/>, one each (a method, not a property, so that binding leaves it alone).</summary>
    public string[] ScopeNames() => Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Whether the provider's claims make this person an admin.</summary>
    public bool IsAdmin(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return AdminClaim is { Length: > 0 } type && AdminClaimValue is { Length: > 0 } value
            && principal.FindAll(type).Any(claim => string.Equals(claim.Value, value, StringComparison.Ordinal));
    }
}

/// <summary>What data annotations cannot say: the settings that go together, checked when the app starts.</summary>
public sealed class SingleSignOnOptionsValidator : IValidateOptions<SingleSignOnOptions>
{
    public ValidateOptionsResult Validate(string? name, SingleSignOnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        List<string> failures = [];
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            failures.Add("SingleSignOn:Authority must be an absolute http(s) address (the provider's issuer).");
        }
        else if (authority.Scheme == "http" && options.RequireHttpsMetadata)
        {
            failures.Add("SingleSignOn:Authority is plain http: use https, or set SingleSignOn:RequireHttpsMetadata to false for a provider on a private network.");
        }

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add("SingleSignOn:ClientId is required when SingleSignOn:Authority is set.");
        }

        if (!options.ScopeNames().Contains("openid", StringComparer.Ordinal))
        {
            failures.Add("SingleSignOn:Scopes must include openid.");
        }

        if (string.IsNullOrWhiteSpace(options.AdminClaim) != string.IsNullOrWhiteSpace(options.AdminClaimValue))
        {
            failures.Add("SingleSignOn:AdminClaim and SingleSignOn:AdminClaimValue go together: set both, or neither.");
        }

        if (!options.CallbackPath.StartsWith('/'))
        {
            failures.Add("SingleSignOn:CallbackPath must be a path of this site, starting with '/'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
