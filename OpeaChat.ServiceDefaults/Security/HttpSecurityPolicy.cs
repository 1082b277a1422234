using Microsoft.AspNetCore.Http;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>What <see cref="HttpSecurityMiddleware"/> enforces for one service (an API or the web page).</summary>
public sealed class HttpSecurityPolicy
{
    /// <summary>For JSON APIs: nothing may be rendered, framed or embedded.</summary>
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>The Content-Security-Policy header; null sends none.</summary>
    public string? ContentSecurityPolicy { get; set; } = ApiContentSecurityPolicy;

    /// <summary>
    /// The Referrer-Policy header. <c>no-referrer</c> for APIs; a site that posts forms to itself needs <c>same-origin</c>,
    /// since under <c>no-referrer</c> browsers send its own form posts with <c>Origin: null</c>, which the origin check refuses.
    /// </summary>
    public string ReferrerPolicy { get; set; } = "no-referrer";

    /// <summary>Paths that get no Content-Security-Policy (a development-only page that needs its inline script).</summary>
    public IList<PathString> ContentSecurityPolicyExempt { get; } = [];

    /// <summary>Paths whose requests of every method (a WebSocket upgrade is a GET) must come from an allowed origin.</summary>
    public IList<PathString> OriginCheckedPaths { get; } = [];
}
