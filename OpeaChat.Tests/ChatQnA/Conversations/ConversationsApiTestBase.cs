using System.Net;
using System.Text.Json;
using OpeaChat.ChatQnA.Conversations;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>/v1/conversations over real HTTP, on a gateway with its own SQLite file (one per test class).</summary>
public abstract class ConversationsApiTestBase(GatewayFixture gateway)
{
    protected HttpClient Client { get; } = gateway.Client;

    /// <summary>The gateway's own message store, for setting up or checking a conversation's messages.</summary>
    protected MessageTreeStore Messages { get; } = gateway.Host.Messages;

    protected async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {json}");
        return json;
    }

    protected static List<string?> Loc(JsonElement error) =>
        error.GetProperty("detail")[0].GetProperty("loc").EnumerateArray().Select(part => part.GetString()).ToList();
}
