using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpeaChat.Web;
using OpeaChat.Web.Accounts;

namespace OpeaChat.Tests.Web;

/// <summary>The web's single sign-on settings: checked on start, the scheme there only when set, the admin claim.</summary>
public sealed class SingleSignOnOptionsTests
{
    [Theory]
    [InlineData("not a url", "web", null, null, true, "SingleSignOn:Authority must be an absolute http(s) address")]
    [InlineData("http://idp.example.test/", "web", null, null, true, "SingleSignOn:RequireHttpsMetadata")]
    [InlineData("https://idp.example.test/", "", null, null, true, "SingleSignOn:ClientId is required")]
    [InlineData("https://idp.example.test/", "web", "groups", null, true, "SingleSignOn:AdminClaim and SingleSignOn:AdminClaimValue go together")]
    [InlineData("https://idp.example.test/", "web", null, "admins", true, "SingleSignOn:AdminClaim and SingleSignOn:AdminClaimValue go together")]
    public void A_setting_that_cannot_work_stops_the_start_naming_it(
        string authority, string clientId, string? adminClaim, string? adminValue, bool requireHttps, string expected)
    {
        var result = new SingleSignOnOptionsValidator().Validate(null, new SingleSignOnOptions
        {
            Authority = authority,
            ClientId = clientId,
            AdminClaim = adminClaim,
            AdminClaimValue = adminValue,
            RequireHttpsMetadata = requireHttps,
        });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Scopes_without_openid_are_refused_and_a_complete_setting_passes()
    {
        var settings = new SingleSignOnOptions { Authority = "https://idp.example.test/realms/team", ClientId = "opeachat", Scopes = "profile email" };
        Assert.Contains("must include openid", new SingleSignOnOptionsValidator().Validate(null, settings).FailureMessage, StringComparison.Ordinal);

        settings.Scopes = "openid profile email";
        settings.AdminClaim = "groups";
        settings.AdminClaimValue = "opeachat-admins";
        Assert.True(new SingleSignOnOptionsValidator().Validate(null, settings).Succeeded);
        Assert.True(new SingleSignOnOptionsValidator().Validate(null, new SingleSignOnOptions()).Succeeded); // Off: nothing to check.
    }

    [Fact]
    public void Only_the_configured_value_of_the_admin_claim_makes_an_admin()
    {
        var settings = new SingleSignOnOptions { AdminClaim = "groups", AdminClaimValue = "opeachat-admins" };
        static ClaimsPrincipal With(params (string Type, string Value)[] claims) =>
            new(new ClaimsIdentity(claims.Select(claim => new Claim(claim.Type, claim.Value)), "oidc"));

        Assert.True(settings.IsAdmin(With(("groups", "staff"), ("groups", "opeachat-admins"))));
        Assert.False(settings.IsAdmin(With(("groups", "staff"))));
        Assert.False(settings.IsAdmin(With(("groups", "OpeaChat-Admins")))); // Claim values are compared exactly.
        Assert.False(settings.IsAdmin(With(("roles", "opeachat-admins")))); // Another claim with the value does not count.
        Assert.False(new SingleSignOnOptions().IsAdmin(With(("groups", "opeachat-admins")))); // No admin claim configured.
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("https://idp.example.test/", true)]
    public async Task The_provider_is_a_scheme_only_when_its_authority_is_set(string? authority, bool expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SingleSignOn:Authority"] = authority,
            ["SingleSignOn:ClientId"] = "opeachat",
        });
        builder.AddWebServices();
        builder.AddWebAccounts();
        using var services = builder.Services.BuildServiceProvider();

        var scheme = await services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(SingleSignOnOptions.Scheme);
        Assert.Equal(expected, scheme is not null);
        Assert.Equal(expected, services.GetRequiredService<IOptions<SingleSignOnOptions>>().Value.Enabled);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("pending_approval", "waits for an admin's approval")]
    [InlineData("locked_out", "locked")]
    [InlineData("sign_up_closed", "new accounts from single sign-on are off")]
    [InlineData("unreachable", "cannot be reached")]
    [InlineData("cancelled", "was cancelled")]
    [InlineData("provider_unreachable", "provider cannot be reached")]
    [InlineData("provider_refused", "SingleSignOn:ClientId")]
    [InlineData("<script>alert(1)</script>", "Single sign-on did not complete")]
    public void The_sign_in_page_says_why_in_its_own_words_never_the_querys(string? code, string? expected)
    {
        var text = SingleSignOn.Describe(code);
        if (expected is null)
        {
            Assert.Null(text);
            return;
        }

        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain("script", text, StringComparison.Ordinal);
    }
}
