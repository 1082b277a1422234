using System.Net;
using System.Text;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;
using static OpeaChat.Tests.Web.TestTab;

namespace OpeaChat.Tests.Web;

/// <summary>Replies in the open conversation against an in-memory gateway: new chats, stop, errors, memory requests.</summary>
public sealed class ConversationRepliesTests
{
    private static (TestTab Tab, FakeGateway Gateway) Create(Func<HttpRequestMessage, HttpResponseMessage> respond)
    {
        var tab = new TestTab(respond);
        return (tab, tab.Gateway);
    }

    [Fact]
    public async Task A_first_message_creates_the_conversation_sends_only_the_new_text_and_shows_the_stored_reply()
    {
        Guid? created = null;
        var (tab, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/conversations") => Json(ConversationJson(), HttpStatusCode.Created),
            ("POST", "/v1/chat/completions") => FakeGateway.Respond(HttpStatusCode.OK,
                "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\ndata: [DONE]\n\n", "text/event-stream"),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello there")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json("{}", HttpStatusCode.NotFound),
        });

        var outcome = await tab.Replies.SendAsync("Hi", () => { }, id => { created = id; return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(SendOutcome.Replied, outcome);
        Assert.Equal(Id, created);
        Assert.Equal(Id, tab.Open.ConversationId);
        var chat = gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/chat/completions");
        Assert.Contains($"\"conversation_id\":\"{Id}\"", chat.Body, StringComparison.Ordinal);
        Assert.Contains("\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]", chat.Body, StringComparison.Ordinal);
        Assert.Contains("\"stream\":true", chat.Body, StringComparison.Ordinal);
        Assert.Contains("\"include_usage\":true", chat.Body, StringComparison.Ordinal);
        Assert.Equal(2, tab.Open.Messages.Count);
        var reply = tab.Open.Messages[1];
        Assert.Equal((ReplyId, "Hello there", ReplyState.Complete, 3, 99.5), (reply.Id!.Value, reply.Text, reply.State, reply.CompletionTokens!.Value, reply.TokensPerSecond!.Value));
        Assert.Equal("Hi", Assert.Single(tab.List.Items).Title);
    }

    [Fact]
    public async Task A_new_chat_is_listed_under_its_stored_title_while_the_reply_still_streams()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (tab, _) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/conversations") => Json(ConversationJson(), HttpStatusCode.Created),
            ("POST", "/v1/chat/completions") => new HttpResponseMessage(HttpStatusCode.OK)
            {
                // The gateway names the stored reply in a header: the question is stored (and the chat titled) by then.
                Headers = { { ConversationHeaders.ReplyId, ReplyId.ToString() } },
                Content = new StreamContent(new EndlessStream(Encoding.UTF8.GetBytes("data: {\"choices\":[{\"delta\":{\"content\":\"Once upon\"}}]}\n\n"))),
            },
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("stopped", "Once upon")),
            ("GET", "/v1/conversations") => Json(ListJson()), // (not asked while the reply streams)
            _ => Json("{}", HttpStatusCode.NotFound),
        });

        var titledWhileStreaming = false;
        var sending = tab.Replies.SendAsync("Hi", () => { }, _ => Task.CompletedTask, stop.Token);
        while (!sending.IsCompleted && !stop.IsCancellationRequested)
        {
            if (tab.List.Items is [{ Title: "Hi" }] && tab.Open.IsSending)
            {
                titledWhileStreaming = true;
                await stop.CancelAsync();
                break;
            }

            await Task.Delay(10);
        }

        Assert.Equal(SendOutcome.Stopped, await sending);
        Assert.True(titledWhileStreaming, "the list did not show the stored title while the reply streamed");
    }

    [Fact]
    public async Task Stopping_keeps_the_partial_reply_marked_stopped()
    {
        using var stop = new CancellationTokenSource();
        var (tab, _) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/chat/completions") => new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StreamContent(new EndlessStream(Encoding.UTF8.GetBytes("data: {\"choices\":[{\"delta\":{\"content\":\"Once upon\"}}]}\n\n"))),
            },
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("stopped", "Once upon")),
            ("GET", _) => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json(ConversationJson(), HttpStatusCode.Created),
        });

        var outcome = await tab.Replies.SendAsync("Hi", () =>
        {
            if (tab.Open.Messages.Count > 1 && !tab.Open.Messages[^1].IsEmpty)
            {
                stop.Cancel(); // The first words arrived: the user presses Stop.
            }
        }, _ => Task.CompletedTask, stop.Token);

        Assert.Equal(SendOutcome.Stopped, outcome);
        Assert.Equal(ReplyState.Stopped, tab.Open.Messages[^1].State);
        Assert.Equal("Once upon", tab.Open.Messages[^1].Text);
        Assert.False(tab.Open.IsSending);
    }

    [Fact]
    public async Task A_rate_limit_becomes_a_warning_that_says_when_to_retry()
    {
        var (tab, _) = Create(request => request.RequestUri!.AbsolutePath switch
        {
            "/v1/chat/completions" => new HttpResponseMessage(HttpStatusCode.TooManyRequests)
            {
                Content = new StringContent("{\"error\":{\"message\":\"Too many requests.\",\"type\":\"rate_limit_exceeded\"}}", Encoding.UTF8, "application/json"),
                Headers = { RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7)) },
            },
            "/v1/conversations" when request.Method == HttpMethod.Post => Json(ConversationJson(), HttpStatusCode.Created),
            _ => Json("{\"data\":[],\"total\":0}"),
        });

        var outcome = await tab.Replies.SendAsync("Hi", () => { }, _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, outcome);
        Assert.NotNull(tab.Errors.Error);
        Assert.True(tab.Errors.Error.IsWarning);
        Assert.Equal(ChatQnAFailure.RateLimited, tab.Errors.Error.Failure);
        Assert.Equal("Too many requests", tab.Errors.Error.Title);
        Assert.Equal("Too many requests. Try again in 7 s.", tab.Errors.Error.Message);
        Assert.NotNull(tab.Errors.Error.RetryAt);
        Assert.InRange(tab.Errors.Error.RetryAt.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task Settings_chosen_for_a_new_chat_are_sent_when_it_is_created()
    {
        var (tab, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/conversations") => Json(ConversationJson(), HttpStatusCode.Created),
            ("POST", "/v1/chat/completions") => FakeGateway.Respond(HttpStatusCode.OK,
                "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: [DONE]\n\n", "text/event-stream"),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            _ => Json("{\"data\":[],\"total\":0}"),
        });
        tab.Open.SelectedModel = "stories260K";

        Assert.Null(await tab.Open.SaveSettingsAsync(new ConversationUpdate { SystemPrompt = "Be brief.", Temperature = 0.3f, MaxTokens = 7, Seed = 42 }));
        Assert.Empty(gateway.Requests); // Nothing is stored before the first message.
        await tab.Replies.SendAsync("Hi", () => { }, _ => Task.CompletedTask, CancellationToken.None);

        var create = gateway.Requests.First(request => request.Method == HttpMethod.Post && request.Uri!.AbsolutePath == "/v1/conversations");
        using var body = System.Text.Json.JsonDocument.Parse(create.Body!);
        Assert.Equal("Be brief.", body.RootElement.GetProperty("system_prompt").GetString());
        Assert.Equal(0.3, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(7, body.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal(42, body.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal("stories260K", body.RootElement.GetProperty("model").GetString());
        Assert.Null(tab.Open.PendingSettings);
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
