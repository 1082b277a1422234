namespace OpeaChat.ServiceDefaults.Security;

/// <summary>
/// Who may reach a service (<c>Security:</c>, plus ASP.NET Core's own root key <c>AllowedHosts</c>); see docs/security.md.
/// </summary>
public sealed class HttpSecurityOptions
{
    public const string SectionName = "Security";

    /// <summary>The hosts served when <c>AllowedHosts</c> is not set: this machine only.</summary>
    public const string DefaultAllowedHosts = "localhost;*.localhost;127.0.0.1;[::1]";

    /// <summary>
    /// Origins (<c>https://ui.example.com</c>) that may send state-changing requests and read answers cross-origin
    /// (CORS). Empty: only the service's own origin. <c>*</c> is not accepted: list each origin.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Host names (<c>AllowedHosts</c>, <c>;</c>-separated; <c>*.example.com</c> for subdomains; <c>*</c> for any).</summary>
    public IList<string> AllowedHosts { get; } = [];
}
