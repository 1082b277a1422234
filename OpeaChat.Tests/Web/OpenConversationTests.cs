using System.Net;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Web.Gateway;
using static OpeaChat.Tests.Web.TestTab;

namespace OpeaChat.Tests.Web;

/// <summary>The open conversation against an in-memory gateway: its settings and its versions of a message.</summary>
public sealed class OpenConversationTests
{
    private static (TestTab Tab, FakeGateway Gateway) Create(Func<HttpRequestMessage, HttpResponseMessage> respond)
    {
        var tab = new TestTab(respond);
        return (tab, tab.Gateway);
    }

    [Fact]
    public async Task Saving_settings_of_a_stored_conversation_sends_every_field_so_a_cleared_one_is_cleared()
    {
        var (tab, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("PATCH", _) => Json(ConversationJson("Hi")),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json(ConversationJson("Hi")),
        });
        await tab.Open.OpenAsync(Id);

        Assert.Null(await tab.Open.SaveSettingsAsync(new ConversationUpdate { Temperature = 1.1f }));

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
        var (tab, _) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("PATCH", _) => Json("""{"detail":[{"type":"less_than_equal","loc":["body","temperature"],"msg":"temperature must be from 0 to 2."}]}""", HttpStatusCode.UnprocessableEntity),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            _ => Json(ConversationJson("Hi")),
        });
        await tab.Open.OpenAsync(Id);

        var error = await tab.Open.SaveSettingsAsync(new ConversationUpdate { Temperature = 5f });

        Assert.Equal("temperature: temperature must be from 0 to 2.", error);
        Assert.Null(tab.Open.Current!.Temperature);
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
        var (tab, gateway) = Create(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(Branch(ReplyId, 1, "Newer")),
            ("POST", var path) when path == $"/v1/conversations/{Id}/messages/{olderReplyId}/activate" => Json(Branch(olderReplyId, 0, "Older")),
            ("GET", "/v1/conversations") => Json($$"""{"data":[{{ConversationJson("Hi")}}],"total":1}"""),
            ("GET", var path) when path == $"/v1/conversations/{Id}" => Json(ConversationJson("Hi")),
            _ => Json("{}", HttpStatusCode.NotFound),
        });
        await tab.Open.OpenAsync(Id);
        var newer = tab.Open.Messages[^1];
        Assert.Equal((1, 2), (newer.SiblingIndex, newer.SiblingCount));

        Assert.False(await tab.Open.ShowSiblingAsync(newer, 1)); // Already the newest: nothing is asked.
        Assert.DoesNotContain(gateway.Requests, request => request.Method == HttpMethod.Post);

        Assert.True(await tab.Open.ShowSiblingAsync(newer, -1));
        var older = tab.Open.Messages[^1];
        Assert.Equal((olderReplyId, "Older", 0), (older.Id!.Value, older.Text, older.SiblingIndex));
        Assert.Equal(2, tab.Open.Messages.Count);
        Assert.Single(gateway.Requests, request => request.Method == HttpMethod.Post);
        Assert.False(tab.Open.IsSwitching);
        Assert.Null(tab.Errors.Error);
    }
}
