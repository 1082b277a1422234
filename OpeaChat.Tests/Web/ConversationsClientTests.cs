using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>How the gateway's refusals reach the page: each kind of failure keeps the gateway's own reason.</summary>
public sealed class ConversationsClientTests
{
    private static readonly Guid Conversation = Guid.Parse("01a21a64-6d6d-723b-81b9-33349a5de842");

    private static async Task<string> ChatAsync(FakeGateway gateway)
    {
        var text = new StringBuilder();
        await foreach (var piece in gateway.CreateConversationsClient().StreamChatAsync(Conversation, "Hi"))
        {
            text.Append(piece);
        }

        return text.ToString();
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, """{"error":{"message":"No model is installed.","type":"unavailable_error","code":"no_model"}}""",
        ChatQnAFailure.Unavailable, "No model is installed.")]
    [InlineData(HttpStatusCode.ServiceUnavailable, """{"error":{"message":"The model m is loading (40 %).","type":"unavailable_error","code":"model_loading"}}""",
        ChatQnAFailure.Loading, "The model m is loading (40 %).")]
    [InlineData(HttpStatusCode.BadGateway, """{"error":{"message":"Inference broke.","type":"unavailable_error"}}""",
        ChatQnAFailure.Unavailable, "Inference broke.")]
    [InlineData(HttpStatusCode.BadRequest, """{"error":{"message":"temperature must be from 0 to 2.","type":"invalid_request_error","param":"temperature"}}""",
        ChatQnAFailure.Rejected, "temperature must be from 0 to 2.")]
    [InlineData(HttpStatusCode.UnprocessableEntity, """{"detail":[{"loc":["body","messages"],"msg":"List should have at least 1 item"}]}""",
        ChatQnAFailure.Rejected, "messages: List should have at least 1 item")]
    [InlineData(HttpStatusCode.NotFound, """{"error":{"message":"Conversation x was not found.","code":"conversation_not_found"}}""",
        ChatQnAFailure.Rejected, "Conversation x was not found.")]
    [InlineData(HttpStatusCode.InternalServerError, "<html>oops</html>", ChatQnAFailure.HttpError, "The chat service answered 500.")]
    [InlineData(HttpStatusCode.Unauthorized, """{"error":{"message":"The OpeaChat-User account does not exist, is locked, is not approved, or its password changed since this session began.","type":"authentication_error","code":"invalid_user"}}""",
        ChatQnAFailure.SessionEnded, "The OpeaChat-User account does not exist, is locked, is not approved, or its password changed since this session began.")]
    [InlineData(HttpStatusCode.Unauthorized, """{"error":{"message":"With accounts on, the web frontend's key must name the signed-in person (OpeaChat-User).","type":"authentication_error","code":"person_required"}}""",
        ChatQnAFailure.SessionEnded, "With accounts on, the web frontend's key must name the signed-in person (OpeaChat-User).")]
    [InlineData(HttpStatusCode.Unauthorized, """{"error":{"message":"The API key is not valid.","type":"authentication_error","code":"invalid_api_key"}}""",
        ChatQnAFailure.Rejected, "The API key is not valid.")]
    public async Task Each_refusal_becomes_its_own_kind_of_failure_with_the_gateways_reason(HttpStatusCode status, string body, ChatQnAFailure failure, string message)
    {
        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ChatAsync(FakeGateway.Failing(status, body)));

        Assert.Equal(failure, error.Failure);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("invalid_user", ChatQnAFailure.SessionEnded)]
    [InlineData("person_required", ChatQnAFailure.SessionEnded)]
    [InlineData(null, ChatQnAFailure.Rejected)]
    public async Task On_paths_that_answer_in_opeas_shape_the_refusal_header_tells_an_ended_session(string? refusal, ChatQnAFailure failure)
    {
        // {"detail"} has no code: a wrong web key (no header) must not pass for a session that ended.
        var gateway = FakeGateway.Failing(HttpStatusCode.Unauthorized, """{"detail":"Refused."}""", refusal);

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => gateway.CreateConversationsClient().ListAsync());

        Assert.Equal(failure, error.Failure);
        Assert.Equal("Refused.", error.Message);
    }

    [Fact]
    public async Task A_rate_limit_says_when_to_try_again()
    {
        var gateway = new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent("""{"error":{"message":"Too many requests.","type":"rate_limit_error"}}""", Encoding.UTF8, "application/json"),
            Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(12)) },
        });

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ChatAsync(gateway));

        Assert.Equal(ChatQnAFailure.RateLimited, error.Failure);
        Assert.Equal(TimeSpan.FromSeconds(12), error.RetryAfter);
        Assert.Equal("Too many requests. Try again in 12 s.", error.Message);
    }

    [Fact]
    public async Task A_reason_that_already_says_when_is_not_told_twice()
    {
        var gateway = new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent("""{"error":{"message":"Too many requests from this client. Retry after 3 s.","type":"rate_limit_error"}}""", Encoding.UTF8, "application/json"),
            Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3)) },
        });

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ChatAsync(gateway));

        Assert.Equal("Too many requests from this client. Retry after 3 s.", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
    }

    [Fact]
    public async Task Every_request_names_the_browser_tab_so_the_gateway_counts_each_person_apart()
    {
        var seen = new List<string>();
        var gateway = new FakeGateway(request =>
        {
            seen.Add(request.Headers.TryGetValues(BrowserTab.HeaderName, out var values) ? values.Single() : "(none)");
            return FakeGateway.Respond(HttpStatusCode.OK, """{"data":[],"total":0}""", "application/json");
        });
        BrowserTab first = new(), second = new();
        using var nobody = new ServiceCollection().BuildServiceProvider();

        await new ConversationsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") }, new GatewayCaller(first, nobody)).ListAsync();
        await new ConversationsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") }, new GatewayCaller(second, nobody)).ListAsync();

        Assert.Equal([first.Id, second.Id], seen);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Matches("^[0-9a-f]{32}$", first.Id);
    }

    [Fact]
    public async Task A_signed_in_person_and_their_session_go_with_every_call_and_nobody_is_named_without_one()
    {
        var seen = new List<(string? User, string? Session)>();
        var gateway = new FakeGateway(request =>
        {
            seen.Add((Header(request, ForwardedHeaders.User), Header(request, ForwardedHeaders.Session)));
            return FakeGateway.Respond(HttpStatusCode.OK, """{"data":[],"total":0}""", "application/json");
        });
        var alice = PersonClaims.ToPrincipal(new AccountRecord { Id = "acc-alice", UserName = "alice", Role = "member", SessionStamp = "stamp-1" });

        await new ConversationsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") }, CallerFor(alice)).ListAsync();
        await new ConversationsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") }, CallerFor(new ClaimsPrincipal(new ClaimsIdentity()))).ListAsync();

        Assert.Equal([("acc-alice", "stamp-1"), (null, null)], seen);

        static string? Header(HttpRequestMessage request, string name) => request.Headers.TryGetValues(name, out var values) ? values.Single() : null;
        static GatewayCaller CallerFor(ClaimsPrincipal user)
        {
            var services = new ServiceCollection()
                .AddSingleton<IHttpContextAccessor>(new HttpContextAccessor { HttpContext = new DefaultHttpContext { User = user } })
                .BuildServiceProvider();
            return new GatewayCaller(new BrowserTab(), services);
        }
    }

    [Fact]
    public async Task A_gateway_that_cannot_be_reached_is_unreachable()
    {
        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ChatAsync(new FakeGateway(_ => throw new HttpRequestException("Connection refused"))));

        Assert.Equal(ChatQnAFailure.Unreachable, error.Failure);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task A_reply_without_done_is_cut_off()
    {
        var gateway = FakeGateway.Streaming("""{"choices":[{"index":0,"delta":{"content":"Once"}}]}""");

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ChatAsync(gateway));

        Assert.Equal(ChatQnAFailure.CutOff, error.Failure);
    }

    [Fact]
    public async Task Replies_asked_for_by_the_page_go_on_without_it_and_say_which_reply_to_stop()
    {
        var replyId = Guid.NewGuid();
        var gateway = new FakeGateway(_ =>
        {
            var response = FakeGateway.Respond(HttpStatusCode.OK, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\ndata: [DONE]\n\n", "text/event-stream");
            response.Headers.Add("OpeaChat-Reply-Id", replyId.ToString());
            return response;
        });
        var client = gateway.CreateConversationsClient();

        var pieces = new List<ReplyPiece>();
        await foreach (var piece in client.StreamChatAsync(Conversation, "Hi"))
        {
            pieces.Add(piece);
        }

        await foreach (var piece in client.StreamRegenerateAsync(Conversation, replyId))
        {
            pieces.Add(piece);
        }

        // Both ask the gateway to keep generating when the page goes (a reload must not stop the reply).
        Assert.All(gateway.Requests, request => Assert.True(
            JsonDocument.Parse(request.Body!).RootElement.GetProperty("continue_on_disconnect").GetBoolean(), request.Body));
        Assert.Equal([replyId, replyId], pieces.Where(piece => piece.ReplyId is not null).Select(piece => piece.ReplyId!.Value));
        Assert.Equal("OnceOnce", string.Concat(pieces.Select(piece => piece.Text)));
    }

    [Fact]
    public async Task Following_a_reply_that_ended_meanwhile_yields_nothing_and_stopping_it_is_not_an_error()
    {
        var gateway = FakeGateway.Failing(HttpStatusCode.Conflict, """{"detail":"Message m of conversation c is not a reply being generated now."}""");
        var client = gateway.CreateConversationsClient();
        var replyId = Guid.NewGuid();

        Assert.Empty(await client.FollowReplyAsync(Conversation, replyId).ToListAsync());
        await client.StopReplyAsync(Conversation, replyId);

        Assert.Equal([HttpMethod.Get, HttpMethod.Post], gateway.Requests.Select(request => request.Method));
        Assert.Equal($"/v1/conversations/{Conversation}/messages/{replyId}/stop", gateway.Requests[1].Uri!.AbsolutePath);
    }
}
