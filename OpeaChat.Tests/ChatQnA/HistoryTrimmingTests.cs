using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.Tests.Infrastructure;
using Message = OpeaChat.Contracts.OpenAi.ChatMessage;

namespace OpeaChat.Tests.ChatQnA;

[Collection(InProcessHostCollection.Name)]
public sealed class HistoryTrimmingTests
{
    private static readonly Message[] s_chat =
    [
        Message.Create("system", "You tell stories."),
        Message.Create("user", new string('a', 400)),
        Message.Create("assistant", new string('b', 400)),
        Message.Create("user", new string('c', 400)),
        Message.Create("assistant", new string('d', 400)),
        Message.Create("user", "And then?"),
    ];

    [Fact]
    public void Oldest_turns_go_first_and_the_system_prompt_and_last_message_stay()
    {
        var result = HistoryTrimmer.Trim(s_chat, promptTokens: 1000, limit: 700, maxTokens: 100);

        Assert.NotNull(result);
        Assert.Equal(1, result.Value.RemovedTurns);
        Assert.Equal(["system", "user", "assistant", "user"], result.Value.Messages.Select(message => message.Role));
        Assert.Equal(new string('c', 400), result.Value.Messages[1].Content!.Text);
        Assert.Equal("And then?", result.Value.Messages[^1].Content!.Text);
    }

    [Fact]
    public void When_only_the_system_prompt_and_last_message_are_left_nothing_more_can_go()
    {
        Message[] minimal = [s_chat[0], s_chat[^1]];

        Assert.Null(HistoryTrimmer.Trim(minimal, promptTokens: 1000, limit: 10, maxTokens: 5));
    }

    [Fact]
    public async Task A_chat_longer_than_the_context_is_answered_with_its_oldest_turns_left_out()
    {
        using var inference = InferenceHost.Start(("ContextSize", "512"), ("MaxParallelSequences", "1"));
        await inference.WaitUntilReadyAsync();
        using var gateway = GatewayHost.Start(inference.BaseAddress);
        var story = string.Join(' ', Enumerable.Repeat("The little dog ran to the park and played with a red ball.", 6));
        var messages = new List<object> { new { role = "system", content = "You tell stories." } };
        for (var turn = 0; turn < 8; turn++)
        {
            messages.Add(new { role = "user", content = $"Turn {turn}: {story}" });
            messages.Add(new { role = "assistant", content = story });
        }

        messages.Add(new { role = "user", content = "What happened next?" });

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages, stream = false, max_tokens = 16 });

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var trimmed = int.Parse(response.Headers.GetValues("OpeaChat-Trimmed-Turns").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(trimmed, 1, 8);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() < 512);
    }
}
