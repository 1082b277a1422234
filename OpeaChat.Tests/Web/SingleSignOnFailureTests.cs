using System.Net;
using System.Text.RegularExpressions;
using OpeaChat.Tests.EndToEnd;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Web;

/// <summary>
/// Single sign-on that cannot work because of a setting: the provider is not there, or it refuses the client's secret.
/// Real web host, real OpenID Connect provider on loopback, the browser's steps done over HTTP: each ends on the sign-in
/// page with its reason and no session, never a 500.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed partial class SingleSignOnFailureTests : IDisposable
{
    // A gateway with accounts on, for the sign-in page; no inference is needed: both failures come before any chat.
    private readonly GatewayHost _gateway = GatewayHost.Start(new Uri($"http://127.0.0.1:{LoopbackPort.Free()}/"),
        ("ForwarderApiKeys:0", AccountsPageTests.ForwarderKey), ("Accounts:Enabled", "true"), ("Logging:LogLevel:Default", "Warning"));

    public void Dispose() => _gateway.Dispose();

    [Fact]
    public async Task A_provider_that_cannot_be_reached_is_said_on_the_sign_in_page()
    {
        using var web = WebFrontendHost.Start(_gateway.BaseAddress,
            ("ChatQnA:ApiKey", AccountsPageTests.ForwarderKey),
            ("SingleSignOn:Authority", $"http://127.0.0.1:{LoopbackPort.Free()}/"),
            ("SingleSignOn:ClientId", "opeachat-web"),
            ("SingleSignOn:RequireHttpsMetadata", "false"));
        var (browser, cookies) = Browser(web.BaseAddress);
        using var _ = browser;

        using var start = await browser.GetAsync("account/sign-in/external?returnUrl=%2F");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.Equal("/account/sign-in?sso=provider_unreachable", start.Headers.Location?.OriginalString);

        var page = await browser.GetStringAsync(start.Headers.Location);
        Assert.Contains("The sign-in provider cannot be reached", page, StringComparison.Ordinal);
        Assert.DoesNotContain("OpeaChat.Session", CookieNames(cookies, web.BaseAddress), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_secret_the_provider_refuses_is_said_on_the_sign_in_page()
    {
        await using var provider = await TestOpenIdProvider.StartAsync();
        using var web = WebFrontendHost.Start(_gateway.BaseAddress,
            ("ChatQnA:ApiKey", AccountsPageTests.ForwarderKey),
            ("SingleSignOn:Authority", provider.Authority.ToString()),
            ("SingleSignOn:ClientId", TestOpenIdProvider.ClientId),
            ("SingleSignOn:ClientSecret", "not the registered secret"),
            ("SingleSignOn:RequireHttpsMetadata", "false"));
        await provider.RegisterClientAsync(new Uri(web.BaseAddress, "signin-oidc"));
        var (browser, cookies) = Browser(web.BaseAddress);
        using var _ = browser;

        // The button, the provider's form, the person's right password: the provider sends the code back.
        using var start = await browser.GetAsync("account/sign-in/external");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith(provider.Authority.GetLeftPart(UriPartial.Authority), authorize.ToString(), StringComparison.Ordinal);
        var form = await browser.GetStringAsync(authorize);
        var fields = HiddenInput().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        fields["idp-user"] = "erin";
        fields["idp-password"] = TestOpenIdProvider.Password;
        fields["sign-in"] = "1";
        using var signedIn = await browser.PostAsync(new Uri(authorize, "/connect/authorize"), new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var callback = signedIn.Headers.Location!;
        Assert.StartsWith(new Uri(web.BaseAddress, "signin-oidc").ToString(), callback.ToString(), StringComparison.Ordinal);

        // The web redeems the code with the wrong secret: invalid_client, said as a setting to fix.
        using var back = await browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        Assert.Equal("/account/sign-in?sso=provider_refused", back.Headers.Location?.OriginalString);
        var page = await browser.GetStringAsync(back.Headers.Location);
        Assert.Contains("refused this app&#x27;s credentials", page, StringComparison.Ordinal);
        Assert.DoesNotContain("OpeaChat.Session", CookieNames(cookies, web.BaseAddress), StringComparison.Ordinal);
    }

    /// <summary>A client that keeps cookies as a browser does and shows each redirect instead of following it.</summary>
    private static (HttpClient Client, CookieContainer Cookies) Browser(Uri web)
    {
        var cookies = new CookieContainer();
        return (new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = web }, cookies);
    }

    private static string CookieNames(CookieContainer cookies, Uri web) => string.Join(';', cookies.GetCookies(web).Select(cookie => cookie.Name));


    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenInput();
}
