using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>An in-memory ChatQnA gateway: answers each request with a canned response and records what it was sent.</summary>
internal sealed class FakeGateway : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, HttpResponseMessage> _respond;

    public FakeGateway(Func<HttpRequestMessage, HttpResponseMessage> respond) => _respond = respond;

    public List<(HttpMethod Method, Uri? Uri, string? ContentType, string? Body)> Requests { get; } = [];

    public static FakeGateway Streaming(params string[] events) =>
        new(_ => Respond(HttpStatusCode.OK, string.Concat(events.Select(e => $"data: {e}\n\n")), "text/event-stream"));

    /// <summary>Answers every request with <paramref name="status"/>, and the gateway's refusal header when <paramref name="refusal"/> is given.</summary>
    public static FakeGateway Failing(HttpStatusCode status, string body, string? refusal = null) => new(_ => Refusing(status, body, refusal));

    /// <summary>A JSON error answer, with the gateway's refusal header when <paramref name="refusal"/> is given.</summary>
    public static HttpResponseMessage Refusing(HttpStatusCode status, string body, string? refusal)
    {
        var response = Respond(status, body, "application/json");
        if (refusal is not null)
        {
            response.Headers.Add(ForwardedHeaders.Refusal, refusal);
        }

        return response;
    }

    public static HttpResponseMessage Respond(HttpStatusCode status, string body, string mediaType) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    public GatewayHealthClient CreateHealthClient() =>
        new(new HttpClient(this) { BaseAddress = new Uri("http://chatqna/") }, Options.Create(new GatewayOptions()));

    public ConversationsClient CreateConversationsClient() => new(new HttpClient(this) { BaseAddress = new Uri("http://chatqna/") });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request.Method, request.RequestUri, request.Content?.Headers.ContentType?.MediaType, body));
        return _respond(request);
    }
}
