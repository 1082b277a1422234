using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>Inference dying in the middle of a reply: the client is told, in each door's format.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class InferenceFailureTests
{
    [Fact]
    public async Task A_reply_broken_part_way_ends_with_an_error_event_and_no_done()
    {
        var inference = InferenceHost.Start(("ContextSize", "32768"), ("MaxParallelSequences", "1"));
        await inference.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(inference.BaseAddress);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new { messages = "Once upon a time", max_tokens = 30000, ignore_eos = true }),
        };
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        for (var pieces = 0; pieces < 3;)
        {
            var line = await reader.ReadLineAsync() ?? throw new InvalidOperationException("The stream ended early.");
            lines.Add(line);
            pieces += line.StartsWith("data: b", StringComparison.Ordinal) ? 1 : 0;
        }

        inference.Dispose(); // the inference server goes away mid-reply

        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        Assert.DoesNotContain("data: [DONE]", lines);
        var errorAt = lines.IndexOf("event: error");
        Assert.True(errorAt > 0, string.Join('\n', lines.TakeLast(5)));
        var detail = JsonDocument.Parse(lines[errorAt + 1]["data: ".Length..]).RootElement.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
    }
}
