namespace OpeaChat.Web;

public static class WebSecurity
{
    /// <summary>
    /// Everything from this app only: scripts (blazor.web.js, app.js and the packages' modules, never inline), the
    /// circuit's WebSocket and fetches (connect-src), images, fonts. Styles allow inline ones, which Fluent UI's web
    /// components set on their elements. Not framable; forms post only here.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
}
