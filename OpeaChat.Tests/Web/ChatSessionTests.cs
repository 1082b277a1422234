using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Web.Chat;

namespace OpeaChat.Tests.Web;

public sealed class ChatSessionTests
{
    private static ChatSession Session(FakeGateway gateway) => new(gateway.CreateClient(), NullLogger<ChatSession>.Instance);

    [Fact]
    public async Task A_reply_streams_into_the_conversation()
    {
        var session = Session(FakeGateway.Streaming("b'Once'", "b' upon'", "b' a time'", "[DONE]"));
        var changes = 0;

        var outcome = await session.SendAsync("  Tell me a story  ", () => changes++, CancellationToken.None);

        Assert.Equal(SendOutcome.Replied, outcome);
        Assert.Collection(
            session.Messages,
            m => Assert.Equal((ChatRole.User, "Tell me a story", ReplyState.Complete), (m.Role, m.Text, m.State)),
            m => Assert.Equal((ChatRole.Assistant, "Once upon a time", ReplyState.Complete), (m.Role, m.Text, m.State)));
        Assert.False(session.IsSending);
        Assert.Null(session.Error);
        Assert.True(changes >= 4, $"expected a change per piece, got {changes}");
    }

    [Fact]
    public async Task Sends_the_visible_history_with_each_question()
    {
        var gateway = FakeGateway.Streaming("b'ok'", "[DONE]");
        var session = Session(gateway);

        await session.SendAsync("first", () => { }, CancellationToken.None);
        await session.SendAsync("second", () => { }, CancellationToken.None);

        using var json = JsonDocument.Parse(gateway.Requests[1].Body!);
        var sent = json.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => $"{m.GetProperty("role").GetString()}:{m.GetProperty("content").GetString()}");
        Assert.Equal(["user:first", "assistant:ok", "user:second"], sent);
    }

    [Fact]
    public async Task A_failure_before_any_text_withdraws_the_question_and_shows_the_detail()
    {
        var session = Session(FakeGateway.Failing(HttpStatusCode.ServiceUnavailable, """{"detail":"The model is still loading (42%)."}"""));

        var outcome = await session.SendAsync("Hello", () => { }, CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, outcome);
        Assert.Empty(session.Messages);
        Assert.Equal("The model is still loading (42%).", session.Error?.Message);
        Assert.True(session.Error?.IsWarning);
        Assert.False(session.IsSending);
    }

    [Fact]
    public async Task A_cut_off_reply_keeps_its_text_and_reports_an_error()
    {
        var session = Session(FakeGateway.Streaming("b'Once upon'"));

        var outcome = await session.SendAsync("Story", () => { }, CancellationToken.None);

        Assert.Equal(SendOutcome.Failed, outcome);
        var reply = session.Messages[^1];
        Assert.Equal(("Once upon", ReplyState.CutOff), (reply.Text, reply.State));
        Assert.Equal(2, session.Messages.Count);
        Assert.False(session.Error?.IsWarning);
        Assert.Contains("cut off", session.Error?.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_new_question_clears_the_last_error()
    {
        var answers = new Queue<HttpResponseMessage>(
        [
            FakeGateway.Respond(HttpStatusCode.ServiceUnavailable, """{"detail":"down"}""", "application/json"),
            FakeGateway.Respond(HttpStatusCode.OK, "data: b'hi'\n\ndata: [DONE]\n\n", "text/event-stream"),
        ]);
        var session = Session(new FakeGateway(_ => answers.Dequeue()));

        await session.SendAsync("Hello", () => { }, CancellationToken.None);
        Assert.NotNull(session.Error);
        await session.SendAsync("Hello", () => { }, CancellationToken.None);

        Assert.Null(session.Error);
        Assert.Equal(["Hello", "hi"], session.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task Stopping_before_any_text_withdraws_the_question()
    {
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        var session = Session(FakeGateway.Streaming("b'late'", "[DONE]"));

        var outcome = await session.SendAsync("Hello", () => { }, stop.Token);

        Assert.Equal(SendOutcome.Withdrawn, outcome);
        Assert.Empty(session.Messages);
        Assert.Null(session.Error);
    }

    [Fact]
    public async Task Blank_text_is_not_sent()
    {
        var gateway = FakeGateway.Streaming("[DONE]");
        var session = Session(gateway);

        Assert.Equal(SendOutcome.NotSent, await session.SendAsync(" \n\t ", () => { }, CancellationToken.None));
        Assert.Empty(gateway.Requests);
        Assert.Empty(session.Messages);
    }
}
