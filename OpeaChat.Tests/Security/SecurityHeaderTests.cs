using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;

namespace OpeaChat.Tests.Security;

/// <summary>Headers on every answer (15), CORS closed by default (10), the web's CSP (15) and its circuit's origin check (12).</summary>
[Collection(SecurityCollection.Name)]
public sealed class SecurityHeaderTests(SecurityHosts hosts)
{
    public static TheoryData<string, string, string?> Answers => new()
    {
        { "gateway", "/v1/conversations", SecurityHosts.GatewayKey },
        { "gateway", "/v1/conversations", null },
        { "gateway", "/v1/models", SecurityHosts.GatewayKey },
        { "gateway", "/health", null },
        { "gateway", "/no-such-path", SecurityHosts.GatewayKey },
        { "gateway", "/openapi/v1.json", SecurityHosts.GatewayKey },
        { "inference", "/v1/models", SecurityHosts.InferenceKey },
        { "inference", "/v1/models", null },
        { "inference", "/health", null },
        { "inference", "/no-such-path", SecurityHosts.InferenceKey },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Api_answers_carry_the_security_headers(string service, string path, string? key)
    {
        using var client = SecurityHosts.ClientFor(service == "gateway" ? hosts.Gateway.BaseAddress : hosts.Inference.BaseAddress, key);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("same-origin", Header(response, "Cross-Origin-Resource-Policy"));
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Cors_is_closed_by_default_and_open_to_the_listed_origin_only()
    {
        using var client = SecurityHosts.ClientFor(hosts.OpenGateway.BaseAddress, null);
        foreach (var (origin, allowed) in new[] { ("http://evil.example", false), (SecurityHosts.AllowedOrigin, true) })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/conversations");
            preflight.Headers.TryAddWithoutValidation("Origin", origin);
            preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
            preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "content-type");
            using var response = await client.SendAsync(preflight);
            Assert.Equal(allowed ? origin : null, Header(response, "Access-Control-Allow-Origin"));
        }

        // The listed origin may write, and reads the answer.
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/conversations")
        {
            Content = new StringContent("{\"title\":\"from the allowed origin\"}", new MediaTypeHeaderValue("application/json")),
        };
        create.Headers.TryAddWithoutValidation("Origin", SecurityHosts.AllowedOrigin);
        using var created = await client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(SecurityHosts.AllowedOrigin, Header(created, "Access-Control-Allow-Origin"));
        await client.DeleteAsync(created.Headers.Location);
    }

    [Fact]
    public async Task The_service_s_own_origin_and_json_with_a_charset_are_accepted()
    {
        using var client = SecurityHosts.ClientFor(hosts.OpenGateway.BaseAddress, null);
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/conversations")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"title\":\"same origin\"}")),
        };
        create.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
        create.Headers.TryAddWithoutValidation("Origin", hosts.OpenGateway.BaseAddress.GetLeftPart(UriPartial.Authority));
        using var created = await client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await client.DeleteAsync(created.Headers.Location);
    }

    [Fact]
    public async Task The_gateway_calls_inference_with_its_key()
    {
        // Inference refuses calls without its key, so a reply through the gateway shows the key is sent.
        using var client = SecurityHosts.ClientFor(hosts.Gateway.BaseAddress, SecurityHosts.GatewayKey);
        using var response = await client.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative),
            new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":3}", new MediaTypeHeaderValue("application/json")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var direct = SecurityHosts.ClientFor(hosts.Inference.BaseAddress, null);
        using var refused = await direct.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative),
            new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":3}", new MediaTypeHeaderValue("application/json")));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task The_page_has_a_strict_csp_and_no_inline_script()
    {
        using var client = SecurityHosts.ClientFor(hosts.Web.BaseAddress, null);
        using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = Header(response, "Content-Security-Policy") ?? string.Empty;
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        // Its own form posts (sign-in) must carry its Origin; other sites learn nothing of where a link was followed from.
        Assert.Equal("same-origin", Header(response, "Referrer-Policy"));

        // What script-src 'self' would block: an inline <script> (an import map included) or an on* attribute.
        Assert.Contains("<script src=", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"<[a-z-]+[^>]*\son[a-z]+\s*=", RegexOptions.IgnoreCase), html);
    }

    [Theory]
    [InlineData("http://evil.example", 403)]
    [InlineData("null", 403)]
    [InlineData(null, 200)]
    [InlineData("self", 200)]
    public async Task The_circuit_s_negotiate_checks_the_origin(string? origin, int status)
    {
        using var client = SecurityHosts.ClientFor(hosts.Web.BaseAddress, null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1")
        {
            Content = new StringContent(string.Empty, Encoding.UTF8, "text/plain"),
        };
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin == "self" ? hosts.Web.BaseAddress.GetLeftPart(UriPartial.Authority) : origin);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
    }

    [Fact]
    public async Task A_cross_origin_websocket_to_the_circuit_is_refused_and_a_same_origin_one_is_not()
    {
        var address = new UriBuilder(hosts.Web.BaseAddress) { Scheme = "ws", Path = "/_blazor" }.Uri;

        using var evil = new ClientWebSocket();
        evil.Options.CollectHttpResponseDetails = true;
        evil.Options.SetRequestHeader("Origin", "http://evil.example");
        await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(address, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, evil.HttpStatusCode);

        // Same origin: past the check (SignalR then wants a negotiated connection id, which this test has none of).
        using var own = new ClientWebSocket();
        own.Options.CollectHttpResponseDetails = true;
        own.Options.SetRequestHeader("Origin", hosts.Web.BaseAddress.GetLeftPart(UriPartial.Authority));
        try
        {
            await own.ConnectAsync(address, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }

        Assert.NotEqual(HttpStatusCode.Forbidden, own.HttpStatusCode);
    }

    [Fact]
    public async Task The_page_refuses_a_rebinding_host()
    {
        using var client = SecurityHosts.ClientFor(hosts.Web.BaseAddress, null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "rebind.evil.example";
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("AllowedHosts", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
