using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>
/// Chats far longer than SQLite's 1,000 levels of trigger recursion (the depth at which a cascade along the message
/// chain used to fail), driven through the HTTP API: import, export, branch, delete.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class LongConversationApiTests(GatewayFixture gateway) : ConversationsApiTestBase(gateway), IClassFixture<GatewayFixture>
{
    private readonly GatewayHost _host = gateway.Host;

    [Theory]
    [InlineData(1_000)]
    [InlineData(1_001)]
    [InlineData(10_000)]
    public async Task A_long_chain_imports_exports_branches_and_deletes(int length)
    {
        var other = await ImportChainAsync(3);
        var id = await ImportChainAsync(length);

        var json = await GetJsonAsync($"/v1/conversations/{id}/export?format=json");
        Assert.Equal(length, json.GetProperty("messages").GetArrayLength());
        using var markdown = await Client.GetAsync($"/v1/conversations/{id}/export?format=markdown");
        Assert.Equal(HttpStatusCode.OK, markdown.StatusCode);
        var text = await markdown.Content.ReadAsStringAsync();
        Assert.Contains($"message {length - 1}\n", text, StringComparison.Ordinal);

        // Branch in the middle: edit a user message, then switch back to the old branch through its leaf.
        var branch = (await GetJsonAsync($"/v1/conversations/{id}/messages")).GetProperty("data");
        Assert.Equal(length, branch.GetArrayLength());
        var oldLeaf = branch[length - 1].GetGuid("id");
        var middleIndex = length / 2 / 2 * 2;
        var middle = branch[middleIndex];
        Assert.Equal("user", middle.GetString("role"));
        using var edit = await Client.PatchAsync($"/v1/conversations/{id}/messages/{middle.GetGuid("id")}",
            new StringContent("""{"content": "a new branch"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var edited = (await GetJsonAsync($"/v1/conversations/{id}/messages")).GetProperty("data");
        Assert.Equal(middleIndex + 1, edited.GetArrayLength());
        Assert.Equal("a new branch", edited[edited.GetArrayLength() - 1].GetString("content"));
        Assert.Equal(2, edited[edited.GetArrayLength() - 1].GetProperty("sibling_count").GetInt32());
        using var activate = await Client.PostAsync($"/v1/conversations/{id}/messages/{oldLeaf}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activate.StatusCode);
        Assert.Equal(length, (await activate.ReadJsonAsync()).GetProperty("data").GetArrayLength());

        using var delete = await Client.DeleteAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await Client.GetAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await using (var db = await _host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<OpeaChat.ChatQnA.Data.ConversationsDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal(0, db.Messages.Count(m => m.ConversationId == id));
            Assert.Equal(3, db.Messages.Count(m => m.ConversationId == other));
        }

        Assert.Equal(3, (await GetJsonAsync($"/v1/conversations/{other}/messages")).GetProperty("data").GetArrayLength());
    }

    /// <summary>An export of one chain user → assistant → user …, "message 0" to "message {length - 1}".</summary>
    internal static string ChainExport(int length, string title = "Long chat")
    {
        var ids = Enumerable.Range(0, length).Select(_ => Guid.NewGuid()).ToArray();
        var messages = ids.Select((messageId, i) => new
        {
            id = messageId,
            parent_id = i == 0 ? (Guid?)null : ids[i - 1],
            role = i % 2 == 0 ? "user" : "assistant",
            content = $"message {i}",
        });
        return JsonSerializer.Serialize(new { format = "opeachat.conversation", version = 1, conversation = new { title, active_leaf_id = ids[^1] }, messages });
    }

    private async Task<Guid> ImportChainAsync(int length)
    {
        using var content = new StringContent(ChainExport(length), Encoding.UTF8, "application/json");
        using var import = await Client.PostAsync("/v1/conversations/import", content);
        var body = await import.ReadJsonAsync();
        Assert.True(import.StatusCode == HttpStatusCode.Created, body.ToString());
        return body.GetGuid("id");
    }
}
