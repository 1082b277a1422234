using Microsoft.AspNetCore.Http;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>The comparisons behind AllowedHosts and Security:AllowedOrigins.</summary>
public static class HostRules
{
    /// <summary>
    /// <c>*</c> allows any host; <c>*.example.com</c> its subdomains; anything else the exact name (any port, any case).
    /// A request without a Host header (HTTP/1.0) is let through: no browser sends one.
    /// </summary>
    public static bool IsAllowed(HostString host, IEnumerable<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (!host.HasValue || host.Host.Length == 0)
        {
            return true;
        }

        var name = Bare(host.Host);
        foreach (var entry in allowed)
        {
            var rule = Bare(entry.Trim());
            if (rule == "*"
                || string.Equals(rule, name, StringComparison.OrdinalIgnoreCase)
                || (rule.StartsWith("*.", StringComparison.Ordinal) && name.EndsWith(rule[1..], StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The page's own origin (same host and, when the Host header has one, the same port: a TLS proxy in front may
    /// change the scheme) or one of the listed origins. <c>null</c> (a sandboxed frame, a file) is never the page's own.
    /// </summary>
    public static bool IsOriginAllowed(string origin, HostString requestHost, IEnumerable<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var normalized = Normalize(origin);
        if (allowed.Any(entry => string.Equals(Normalize(entry), normalized, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !requestHost.HasValue)
        {
            return false;
        }

        if (!string.Equals(Bare(uri.Host), Bare(requestHost.Host), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return requestHost.Port is not { } port || port == uri.Port;
    }

    public static string Normalize(string origin) => origin.Trim().TrimEnd('/');

    private static string Bare(string host) => host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
}
