using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Tests.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Durability;

/// <summary>
/// The conversation database out of space (a fault injected into the gateway's own SQLite contexts): a reply that
/// cannot be saved ends with the door's error event and never [DONE]; outside a stream the answer is 507 in the
/// contract's shape; /health says storage_full until a write succeeds again. A read-only database the same, with 503.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class StorageFullTests : IDisposable
{
    private readonly InferenceHost _inference = InferenceHost.Start(("ContextSize", "32768"), ("MaxParallelSequences", "1"));
    private readonly TempDirectory _data = new();
    private readonly DiskFull _disk = new();
    private readonly GatewayHost _gateway;

    public StorageFullTests()
    {
        _gateway = GatewayHost.Start(_inference.BaseAddress, _data.Path, services => services.AddSingleton<IInterceptor>(_disk),
            ("ReplySaveInterval", "00:00:00.100"));
    }

    private HttpClient Client => _gateway.Client;

    [Theory]
    [InlineData("/v1/chatqna")]
    [InlineData("/v1/chat/completions")]
    public async Task A_reply_whose_end_cannot_be_saved_ends_with_the_error_event_not_done(string door)
    {
        await _inference.WaitUntilReadyAsync();
        var id = await CreateConversationAsync();
        object body = door == "/v1/chatqna"
            ? new { conversation_id = id, messages = "Once upon a time", max_tokens = 3000, ignore_eos = true }
            : new { conversation_id = id, messages = new[] { new { role = "user", content = "Once upon a time" } }, max_tokens = 3000, ignore_eos = true, stream = true };

        using var request = new HttpRequestMessage(HttpMethod.Post, door) { Content = JsonContent.Create(body) };
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        for (var pieces = 0; pieces < 5;)
        {
            var line = await reader.ReadLineAsync() ?? throw new InvalidOperationException("The stream ended early.");
            lines.Add(line);
            pieces += line.StartsWith("data: ", StringComparison.Ordinal) ? 1 : 0;
        }

        await Task.Delay(300); // a step or two of the text is saved
        _disk.Armed = true;
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        Assert.DoesNotContain("data: [DONE]", lines);
        var error = door == "/v1/chatqna"
            ? lines[lines.IndexOf("event: error") + 1]
            : lines.Last(line => line.StartsWith("data: {\"error\"", StringComparison.Ordinal));
        Assert.Contains("out of space", error, StringComparison.Ordinal);

        Assert.Equal("storage_full", await HealthStatusAsync());

        // What had been saved is kept: the question and its reply, once each, with text the client saw.
        _disk.Armed = false;
        var messages = await GetMessagesAsync(id);
        Assert.Equal(["user", "assistant"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("streaming", messages[1].GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(messages[1].GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Outside_a_stream_a_full_database_answers_507_in_each_contracts_shape_and_health_says_so()
    {
        await _inference.WaitUntilReadyAsync();
        var id = await CreateConversationAsync();
        var before = RejectedRequestTests.Tree(await GetAsync($"/v1/conversations/{id}/export"));
        Assert.Equal("ok", await HealthStatusAsync());
        _disk.Armed = true;

        using var create = await Client.PostAsJsonAsync("/v1/conversations", new { title = "Too much" });
        Assert.Equal(HttpStatusCode.InsufficientStorage, create.StatusCode);
        Assert.Contains("out of space", (await create.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var whole = await Client.PostAsJsonAsync("/v1/chat/completions",
            new { conversation_id = id, messages = new[] { new { role = "user", content = "Once upon a time" } }, max_tokens = 4 });
        Assert.Equal(HttpStatusCode.InsufficientStorage, whole.StatusCode);
        Assert.Equal("storage_full", (await whole.ReadJsonAsync()).GetProperty("error").GetProperty("code").GetString());

        // A stream whose turn cannot be written is refused before any event.
        using var streamed = await Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, messages = "Once upon a time", max_tokens = 4 });
        Assert.Equal(HttpStatusCode.InsufficientStorage, streamed.StatusCode);
        Assert.Contains("out of space", (await streamed.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal("storage_full", await HealthStatusAsync());
        _disk.Armed = false;
        Assert.Equal(before, RejectedRequestTests.Tree(await GetAsync($"/v1/conversations/{id}/export")));

        using var again = await Client.PostAsJsonAsync("/v1/conversations", new { title = "Room again" });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("ok", await HealthStatusAsync());
    }

    [Fact]
    public async Task A_read_only_database_answers_503_ends_a_stream_with_the_error_and_health_says_so_until_it_is_writable()
    {
        await _inference.WaitUntilReadyAsync();
        var id = await CreateConversationAsync();
        var before = RejectedRequestTests.Tree(await GetAsync($"/v1/conversations/{id}/export"));
        _disk.ReadOnly = true;
        _disk.Armed = true;

        using var create = await Client.PostAsJsonAsync("/v1/conversations", new { title = "Nowhere to go" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
        Assert.Contains("read-only", (await create.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var whole = await Client.PostAsJsonAsync("/v1/chat/completions",
            new { conversation_id = id, messages = new[] { new { role = "user", content = "Once upon a time" } }, max_tokens = 4 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, whole.StatusCode);
        Assert.Equal("storage_read_only", (await whole.ReadJsonAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("storage_read_only", await HealthStatusAsync());
        Assert.Equal(before, RejectedRequestTests.Tree(await GetAsync($"/v1/conversations/{id}/export")));

        // Writable at the start of a stream, read-only before its end: the error event, never [DONE].
        _disk.Armed = false;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new { conversation_id = id, messages = "Once upon a time", max_tokens = 3000, ignore_eos = true }),
        };
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string> { await reader.ReadLineAsync() ?? string.Empty };
        _disk.Armed = true;
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        Assert.DoesNotContain("data: [DONE]", lines);
        Assert.Contains("read-only", lines[lines.IndexOf("event: error") + 1], StringComparison.Ordinal);

        _disk.Armed = false;
        using var again = await Client.PostAsJsonAsync("/v1/conversations", new { title = "Writable again" });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("ok", await HealthStatusAsync());
    }

    private async Task<string> HealthStatusAsync()
    {
        using var health = await Client.GetAsync("/health");
        return (await health.ReadJsonAsync()).GetProperty("status").GetString()!;
    }

    private async Task<string> CreateConversationAsync()
    {
        using var created = await Client.PostAsJsonAsync("/v1/conversations", new { });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    private async Task<string> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<IReadOnlyList<JsonElement>> GetMessagesAsync(string id)
    {
        using var document = JsonDocument.Parse(await GetAsync($"/v1/conversations/{id}/messages"));
        return document.RootElement.GetProperty("data").EnumerateArray().Select(message => message.Clone()).ToArray();
    }

    public void Dispose()
    {
        _gateway.Dispose();
        _inference.Dispose();
        _data.Dispose();
    }
}
