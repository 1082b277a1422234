using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Web.Chat;
using OpeaChat.Web.ChatQnA;
using OpeaChat.Web.Conversations;

namespace OpeaChat.Tests.Web;

/// <summary>The page's conversation state against an in-memory gateway: new chats, stop, errors, memory requests.</summary>
public sealed class ConversationSessionTests
{
    private static readonly Guid Id = Guid.Parse("01a21a64-6d6d-723b-81b9-33349a5de842");
    private static readonly Guid UserId = Guid.Parse("01a21a64-8f00-7c3d-a5a4-0d5a3b7e9c21");
    private static readonly Guid ReplyId = Guid.Parse("01a21a65-0c1e-7a0d-9d3e-5c1b2a7f0e11");

    private static string ConversationJson(string? title = null) =>
        $$"""{"id":"{{Id}}","title":{{(title is null ? "null" : $"\"{title}\"")}},"variables":{},"active_leaf_id":null,"created_at":"2026-11-27T00:25:18+00:00","updated_at":"2026-11-27T00:26:02+00:00"}""";

    private static string MessagesJson(string replyStatus, string reply) => $$"""
        {"data":[
          {"id":"{{UserId}}","conversation_id":"{{Id}}","parent_id":null,"role":"user","content":"Hi","status":"complete","created_at":"2026-11-27T00:25:30+00:00","sibling_count":1,"sibling_index":0,"sibling_ids":["{{UserId}}"]},
          {"id":"{{ReplyId}}","conversation_id":"{{Id}}","parent_id":"{{UserId}}","role":"assistant","content":"{{reply}}","status":"{{replyStatus}}","model":"stories260K","prompt_tokens":5,"completion_tokens":3,"tokens_per_second":99.5,"created_at":"2026-11-27T00:25:32+00:00","sibling_count":1,"sibling_index":0,"sibling_ids":["{{ReplyId}}"]}
        ]}
        """;

    private static (ConversationSession Session, FakeGateway Gateway) Create(Func<HttpRequestMessage, HttpResponseMessage> respond)
    {
        var gateway = new FakeGateway(respond);
        var client = new ConversationsClient(new HttpClient(gateway) { BaseAddress = new Uri("http://chatqna/") });
        return (new ConversationSession(client, TimeProvider.System, NullLogger<ConversationSession>.Instance), gateway);
    }

    private static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) => FakeGateway.Respond(status, body, "application/json");

    [Fact]
    public async Task A_first_message_creates_the_conversation_sends_only_the_new_text_and_shows_the_stored_reply()
    {
        Guid? created = null;
        var (session, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/conversations") => Json(ConversationJson(), HttpStatusCode.Created),
            ("POST", "/v1/chat/completions") => FakeGateway.Respond(HttpStatusCode.OK,
                "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\ndata: [DONE]\n\n", "text/event-stream"),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello there")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json("{}", HttpStatusCode.NotFound),
        });

        var outcome = await session.SendAsync("Hi", () => { }, id => { created = id; return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(SendOutcome.Replied, outcome);
        Assert.Equal(Id, created);
        Assert.Equal(Id, session.ConversationId);
        var chat = gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/chat/completions");
        Assert.Contains($"\"conversation_id\":\"{Id}\"", chat.Body, StringComparison.Ordinal);
        Assert.Contains("\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]", chat.Body, StringComparison.Ordinal);
        Assert.Contains("\"stream\":true", chat.Body, StringComparison.Ordinal);
        Assert.Contains("\"include_usage\":true", chat.Body, StringComparison.Ordinal);
        Assert.Equal(2, session.Messages.Count);
        var reply = session.Messages[1];
        Assert.Equal((ReplyId, "Hello there", ReplyState.Complete, 3, 99.5), (reply.Id!.Value, reply.Text, reply.State, reply.CompletionTokens!.Value, reply.TokensPerSecond!.Value));
        Assert.Equal("Hi", Assert.Single(session.Conversations).Title);
    }

    [Fact]
    public async Task Stopping_keeps_the_partial_reply_marked_stopped()
    {
        using var stop = new CancellationTokenSource();
        var (session, _) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/chat/completions") => new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StreamContent(new EndlessStream(Encoding.UTF8.GetBytes("data: {\"choices\":[{\"delta\":{\"content\":\"Once upon\"}}]}\n\n"))),
            },
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("stopped", "Once upon")),
            ("GET", _) => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json(ConversationJson(), HttpStatusCode.Created),
        });

        var outcome = await session.SendAsync("Hi", () =>
        {
            if (session.Messages.Count > 1 && !session.Messages[^1].IsEmpty)
            {
                stop.Cancel(); // The first words arrived: the user presses Stop.
            }
        }, _ => Task.CompletedTask, stop.Token);

        Assert.Equal(SendOutcome.Stopped, outcome);
        Assert.Equal(ReplyState.Stopped, session.Messages[^1].State);
        Assert.Equal("Once upon", session.Messages[^1].Text);
        Assert.False(session.IsSending);
    }

    [Fact]
    public async Task A_rate_limit_becomes_a_warning_that_says_when_to_retry()
    {
        var (session, _) = Create(request => request.RequestUri!.AbsolutePath switch
        {
            "/v1/chat/completions" => new HttpResponseMessage(HttpStatusCode.TooManyRequests)
            {
                Content = new StringContent("{\"error\":{\"message\":\"Too many requests.\",\"type\":\"rate_limit_exceeded\"}}", Encoding.UTF8, "application/json"),
                Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7)) },
            },
            "/v1/conversations" when request.Method == HttpMethod.Post => Json(ConversationJson(), HttpStatusCode.Created),
            _ => Json("{\"data\":[],\"total\":0}"),
        });

        var outcome = await session.SendAsync("Hi", () => { }, _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, outcome);
        Assert.NotNull(session.Error);
        Assert.True(session.Error.IsWarning);
        Assert.Equal(ChatQnAFailure.RateLimited, session.Error.Failure);
        Assert.Equal("Too many requests", session.Error.Title);
        Assert.Equal("Too many requests. Try again in 7 s.", session.Error.Message);
        Assert.NotNull(session.Error.RetryAt);
        Assert.InRange(session.Error.RetryAt.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task Settings_chosen_for_a_new_chat_are_sent_when_it_is_created()
    {
        var (session, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/conversations") => Json(ConversationJson(), HttpStatusCode.Created),
            ("POST", "/v1/chat/completions") => FakeGateway.Respond(HttpStatusCode.OK,
                "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: [DONE]\n\n", "text/event-stream"),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            _ => Json("{\"data\":[],\"total\":0}"),
        });
        session.SelectedModel = "stories260K";

        Assert.Null(await session.SaveSettingsAsync(new ConversationSettingsUpdate("Be brief.", null, null, 0.3, null, 7, 42)));
        Assert.Empty(gateway.Requests); // Nothing is stored before the first message.
        await session.SendAsync("Hi", () => { }, _ => Task.CompletedTask, CancellationToken.None);

        var create = gateway.Requests.First(request => request.Method == HttpMethod.Post && request.Uri!.AbsolutePath == "/v1/conversations");
        using var body = System.Text.Json.JsonDocument.Parse(create.Body!);
        Assert.Equal("Be brief.", body.RootElement.GetProperty("system_prompt").GetString());
        Assert.Equal(0.3, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(7, body.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal(42, body.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal("stories260K", body.RootElement.GetProperty("model").GetString());
        Assert.Null(session.PendingSettings);
    }

    [Fact]
    public async Task Saving_settings_of_a_stored_conversation_sends_every_field_so_a_cleared_one_is_cleared()
    {
        var (session, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("PATCH", _) => Json(ConversationJson("Hi")),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json(ConversationJson("Hi")),
        });
        await session.OpenAsync(Id);

        Assert.Null(await session.SaveSettingsAsync(new ConversationSettingsUpdate(null, null, null, 1.1, null, null, null)));

        var patch = gateway.Requests.Single(request => request.Method == HttpMethod.Patch);
        Assert.Equal($"/v1/conversations/{Id}", patch.Uri!.AbsolutePath);
        using var body = System.Text.Json.JsonDocument.Parse(patch.Body!);
        Assert.Equal(1.1, body.RootElement.GetProperty("temperature").GetDouble());
        foreach (var cleared in new[] { "system_prompt", "prompt_id", "variables", "top_p", "max_tokens", "seed" })
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Null, body.RootElement.GetProperty(cleared).ValueKind);
        }

        Assert.False(body.RootElement.TryGetProperty("model", out _)); // The model picker owns the model.
    }

    [Fact]
    public async Task A_setting_the_gateway_refuses_is_reported_and_not_kept()
    {
        var (session, _) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("PATCH", _) => Json("""{"detail":[{"type":"less_than_equal","loc":["body","temperature"],"msg":"temperature must be from 0 to 2."}]}""", HttpStatusCode.UnprocessableEntity),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json(ConversationJson("Hi")),
        });
        await session.OpenAsync(Id);

        var error = await session.SaveSettingsAsync(new ConversationSettingsUpdate(null, null, null, 5, null, null, null));

        Assert.Equal("temperature: temperature must be from 0 to 2.", error);
        Assert.Null(session.Current!.Temperature);
    }

    [Fact]
    public async Task Showing_another_version_activates_that_sibling_on_the_gateway_and_shows_its_branch()
    {
        var olderReplyId = Guid.Parse("01a21a64-f2aa-7e61-8b0c-4f3e2d1c0b9a");
        string Branch(Guid reply, int index, string text) => $$"""
            {"data":[
              {"id":"{{UserId}}","parent_id":null,"role":"user","content":"Hi","status":"complete","created_at":"2026-11-27T00:25:30+00:00","sibling_count":1,"sibling_index":0,"sibling_ids":["{{UserId}}"]},
              {"id":"{{reply}}","parent_id":"{{UserId}}","role":"assistant","content":"{{text}}","status":"complete","created_at":"2026-11-27T00:25:32+00:00","sibling_count":2,"sibling_index":{{index}},"sibling_ids":["{{olderReplyId}}","{{ReplyId}}"]}
            ]}
            """;
        var (session, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(Branch(ReplyId, 1, "Newer")),
            ("POST", var path) when path == $"/v1/conversations/{Id}/messages/{olderReplyId}/activate" => Json(Branch(olderReplyId, 0, "Older")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            ("GET", var path) when path == $"/v1/conversations/{Id}" => Json(ConversationJson("Hi")),
            _ => Json("{}", HttpStatusCode.NotFound),
        });
        await session.OpenAsync(Id);
        var newer = session.Messages[^1];
        Assert.Equal((1, 2), (newer.SiblingIndex, newer.SiblingCount));

        Assert.False(await session.ShowSiblingAsync(newer, 1)); // Already the newest: nothing is asked.
        Assert.DoesNotContain(gateway.Requests, request => request.Method == HttpMethod.Post);

        Assert.True(await session.ShowSiblingAsync(newer, -1));
        var older = session.Messages[^1];
        Assert.Equal((olderReplyId, "Older", 0), (older.Id!.Value, older.Text, older.SiblingIndex));
        Assert.Equal(2, session.Messages.Count);
        Assert.Single(gateway.Requests, request => request.Method == HttpMethod.Post);
        Assert.False(session.IsSwitching);
        Assert.Null(session.Error);
    }

    /// <summary>Gives its bytes once, then blocks until the reader gives up (a reply that never ends).</summary>
    private sealed class EndlessStream(byte[] first) : Stream
    {
        private bool _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_sent)
            {
                _sent = true;
                first.CopyTo(buffer);
                return first.Length;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
