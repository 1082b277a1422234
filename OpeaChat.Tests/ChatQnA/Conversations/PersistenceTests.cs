using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>The database is a file that outlives the gateway process.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class PersistenceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_new_gateway_on_the_same_data_directory_reads_the_conversations_back()
    {
        Guid id;
        Guid replyId;
        Assert.False(Directory.Exists(_directory.Path));
        using (var first = GatewayHost.StartWithoutInference(_directory.Path))
        {
            id = (await first.Client.PostJsonAsync("/v1/conversations", new { title = "Kept" })).GetGuid("id");
            var question = await first.Messages.AddUserMessageAsync(id, "Will you remember this?", null, CancellationToken.None);
            replyId = (await first.Messages.AddAssistantMessageAsync(id, question.Id, "Yes, it is on disk.", "complete", "m", 3, 6, 12.5, CancellationToken.None)).Id;
        }

        SqliteConnection.ClearAllPools();
        Assert.True(File.Exists(_directory.DatabasePath));

        using var second = GatewayHost.StartWithoutInference(_directory.Path);
        using var response = await second.Client.GetAsync($"/v1/conversations/{id}/messages");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var messages = (await response.ReadJsonAsync()).GetProperty("data");
        Assert.Equal(["Will you remember this?", "Yes, it is on disk."], messages.EnumerateArray().Select(m => m.GetString("content")));
        Assert.Equal(replyId, messages[1].GetGuid("id"));
        Assert.Equal(12.5, messages[1].GetProperty("tokens_per_second").GetDouble());
        Assert.Equal("Kept", (await second.Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/conversations/{id}")).GetString("title"));
    }
}
