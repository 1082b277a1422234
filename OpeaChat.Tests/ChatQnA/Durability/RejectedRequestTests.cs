using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Durability;

/// <summary>One inference server with a small context (so a long prompt overflows it), shared by the class.</summary>
public sealed class SmallContextInferenceFixture : IAsyncLifetime
{
    public InferenceHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = InferenceHost.Start(("ContextSize", "256"));
        await Host.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// A request refused with a 4xx writes nothing to its conversation: every check (the gateway's and inference's)
/// runs before the first write, through both doors and regenerate, streamed or not.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class RejectedRequestTests(SmallContextInferenceFixture inference) : IClassFixture<SmallContextInferenceFixture>, IDisposable
{
    private readonly GatewayHost _gateway = GatewayHost.Start(inference.Host.BaseAddress, ("StrictModel", "true"));

    private HttpClient Client => _gateway.Client;

    private static readonly string s_tooLong = string.Concat(Enumerable.Repeat("the fox ran far away ", 200));

    public static TheoryData<string, string, bool> Cases() => new()
    {
        { "chatqna: unknown model", "model", true },
        { "chatqna: unknown model", "model", false },
        { "chatqna: prompt longer than the context", "messages", true },
        { "chatqna: prompt longer than the context", "messages", false },
        { "chatqna: 100 stop sequences", "stop", true },
        { "chatqna: prompt_id without its variables", "variables", true },
        { "openai: n = 2", "n", true },
        { "openai: n = 2", "n", false },
        { "openai: response_format xml", "response_format", true },
        { "regenerate: n = 2", "n", true },
        { "regenerate: n = 2", "n", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_refused_request_leaves_the_conversation_byte_for_byte_as_it_was(string name, string field, bool stream)
    {
        var id = await CreateConversationWithOneExchangeAsync();
        var replyId = JsonDocument.Parse(await GetAsync($"/v1/conversations/{id}/messages")).RootElement.GetProperty("data").EnumerateArray().Last().GetProperty("id").GetString();
        var before = await SnapshotAsync(id);

        var (path, body) = name switch
        {
            "chatqna: unknown model" => ("/v1/chatqna", (object)new { conversation_id = id, messages = "And then?", model = "no-such-model", stream }),
            "chatqna: prompt longer than the context" => ("/v1/chatqna", new { conversation_id = id, messages = s_tooLong, stream }),
            "chatqna: 100 stop sequences" => ("/v1/chatqna", new { conversation_id = id, messages = "And then?", stop = Enumerable.Range(0, 100).Select(i => $"s{i}").ToArray(), stream }),
            "chatqna: prompt_id without its variables" => ("/v1/chatqna", new { conversation_id = id, messages = "And then?", prompt_id = "opea-chatqna", use_documents = false, stream }),
            "openai: n = 2" => ("/v1/chat/completions", new { conversation_id = id, messages = new[] { new { role = "user", content = "And then?" } }, n = 2, stream }),
            "openai: response_format xml" => ("/v1/chat/completions", new { conversation_id = id, messages = new[] { new { role = "user", content = "And then?" } }, response_format = new { type = "xml" }, stream }),
            "regenerate: n = 2" => ($"/v1/conversations/{id}/messages/{replyId}/regenerate", new { n = 2, stream }),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        using var response = await Client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{name}: {(int)response.StatusCode} {text}");
        Assert.Contains(field, text, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(id));
    }

    /// <summary>The active branch (with the active leaf last) and the whole tree, as the API gives them.</summary>
    private async Task<string> SnapshotAsync(string id) =>
        await GetAsync($"/v1/conversations/{id}/messages") + "\n" + Tree(await GetAsync($"/v1/conversations/{id}/export")) + "\n" + await GetAsync($"/v1/conversations/{id}");

    /// <summary>An export without its own time stamp: every message of every branch, and the conversation.</summary>
    internal static string Tree(string export)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(export)!.AsObject();
        node.Remove("exported_at");
        return node.ToJsonString();
    }

    private async Task<string> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return text;
    }

    private async Task<string> CreateConversationWithOneExchangeAsync()
    {
        using var created = await Client.PostAsJsonAsync("/v1/conversations", new { });
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var first = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, messages = "Once upon a time", stream = false, max_tokens = 6 });
        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        return id;
    }

    public void Dispose() => _gateway.Dispose();
}
