namespace OpeaChat.Web.Gateway;

/// <summary>
/// One browser tab (one Blazor circuit): its opaque id goes to the gateway in <c>OpeaChat-Client</c>, so the gateway's
/// rate limit counts each person's tab on its own rather than everyone behind this web server together.
/// </summary>
public sealed class BrowserTab
{
    public const string HeaderName = OpeaChat.Contracts.Accounts.ForwardedHeaders.Client;

    public string Id { get; } = Guid.NewGuid().ToString("N");
}
