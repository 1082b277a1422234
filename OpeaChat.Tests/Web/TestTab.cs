using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Conversations;

namespace OpeaChat.Tests.Web;

/// <summary>
/// One browser tab's chat state (list, open conversation, replies, errors) over an in-memory gateway, wired as the
/// app's scoped services wire it, with the gateway's JSON for a conversation with one question and one reply.
/// </summary>
internal sealed class TestTab
{
    public static readonly Guid Id = Guid.Parse("01a21a64-6d6d-723b-81b9-33349a5de842");
    public static readonly Guid UserId = Guid.Parse("01a21a64-8f00-7c3d-a5a4-0d5a3b7e9c21");
    public static readonly Guid ReplyId = Guid.Parse("01a21a65-0c1e-7a0d-9d3e-5c1b2a7f0e11");

    public TestTab(Func<HttpRequestMessage, HttpResponseMessage> respond)
    {
        Gateway = new FakeGateway(respond);
        var client = Gateway.CreateConversationsClient();
        Errors = new ChatErrorState(TimeProvider.System, NullLogger<ChatErrorState>.Instance);
        List = new ConversationList(client, Errors);
        Open = new OpenConversation(client, List, Errors);
        Replies = new ConversationReplies(client, Open, List, Errors);
    }

    public FakeGateway Gateway { get; }

    public ChatErrorState Errors { get; }

    public ConversationList List { get; }

    public OpenConversation Open { get; }

    public ConversationReplies Replies { get; }

    public static string ConversationJson(string? title = null) =>
        $$"""{"id":"{{Id}}","title":{{(title is null ? "null" : $"\"{title}\"")}},"variables":{},"active_leaf_id":null,"created_at":"2026-11-27T00:25:18+00:00","updated_at":"2026-11-27T00:26:02+00:00"}""";

    public static string ListJson(string? title = null) => $$"""{"data":[{{ConversationJson(title)}}],"total":1}""";

    public static string MessagesJson(string replyStatus, string reply) => $$"""
        {"data":[
          {"id":"{{UserId}}","conversation_id":"{{Id}}","parent_id":null,"role":"user","content":"Hi","status":"complete","created_at":"2026-11-27T00:25:30+00:00","sibling_count":1,"sibling_index":0,"sibling_ids":["{{UserId}}"]},
          {"id":"{{ReplyId}}","conversation_id":"{{Id}}","parent_id":"{{UserId}}","role":"assistant","content":"{{reply}}","status":"{{replyStatus}}","model":"stories260K","prompt_tokens":5,"completion_tokens":3,"tokens_per_second":99.5,"created_at":"2026-11-27T00:25:32+00:00","sibling_count":1,"sibling_index":0,"sibling_ids":["{{ReplyId}}"]}
        ]}
        """;

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) => FakeGateway.Respond(status, body, "application/json");
}
