using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>/v1/conversations/{id}/messages over real HTTP: the active branch, editing, switching branches.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ConversationMessagesApiTests(GatewayFixture gateway) : ConversationsApiTestBase(gateway), IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Messages_show_the_active_branch_with_siblings_and_editing_a_user_message_branches()
    {
        var id = (await Client.PostJsonAsync("/v1/conversations", new { })).GetGuid("id");
        var u1 = await Messages.AddUserMessageAsync(id, "What is rain?", null, CancellationToken.None);
        var a1 = await Messages.AddAssistantMessageAsync(id, u1.Id, "Water from clouds.", "complete", "stories260K", 10, 4, 50.5, CancellationToken.None);

        var messages = (await GetJsonAsync($"/v1/conversations/{id}/messages")).GetProperty("data");
        Assert.Equal(2, messages.GetArrayLength());
        var reply = messages[1];
        Assert.Equal(a1.Id, reply.GetGuid("id"));
        Assert.Equal(u1.Id, reply.GetGuid("parent_id"));
        Assert.Equal("assistant", reply.GetString("role"));
        Assert.Equal("complete", reply.GetString("status"));
        Assert.Equal("stories260K", reply.GetString("model"));
        Assert.Equal((10, 4), (reply.GetProperty("prompt_tokens").GetInt32(), reply.GetProperty("completion_tokens").GetInt32()));
        Assert.Equal(50.5, reply.GetProperty("tokens_per_second").GetDouble());
        Assert.Equal((1, 0), (reply.GetProperty("sibling_count").GetInt32(), reply.GetProperty("sibling_index").GetInt32()));
        Assert.Equal(JsonValueKind.Null, messages[0].GetProperty("parent_id").ValueKind);
        Assert.Equal("What is rain?", (await GetJsonAsync($"/v1/conversations/{id}")).GetString("title"));

        using var edit = await Client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{u1.Id}", new { content = "What is snow?" });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var edited = await edit.ReadJsonAsync();
        Assert.NotEqual(u1.Id, edited.GetGuid("id"));
        Assert.Equal("What is snow?", edited.GetString("content"));
        Assert.Equal((2, 1), (edited.GetProperty("sibling_count").GetInt32(), edited.GetProperty("sibling_index").GetInt32()));

        var branch = (await GetJsonAsync($"/v1/conversations/{id}/messages")).GetProperty("data");
        Assert.Equal([edited.GetGuid("id")], branch.EnumerateArray().Select(m => m.GetGuid("id")));

        using var editReply = await Client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{a1.Id}", new { content = "x" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, editReply.StatusCode);
        using var editEmpty = await Client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{u1.Id}", new { content = " " });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, editEmpty.StatusCode);
        using var editUnknown = await Client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{Guid.NewGuid()}", new { content = "x" });
        Assert.Equal(HttpStatusCode.NotFound, editUnknown.StatusCode);

        // Back to the first version: its reply comes back with it.
        using var activate = await Client.PostAsync($"/v1/conversations/{id}/messages/{u1.Id}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activate.StatusCode);
        Assert.Equal([u1.Id, a1.Id], (await activate.ReadJsonAsync()).GetProperty("data").EnumerateArray().Select(m => m.GetGuid("id")));
    }
}
