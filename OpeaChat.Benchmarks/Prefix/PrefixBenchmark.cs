using System.Diagnostics;
using System.Net.Http.Json;
using OpeaChat.OpenAi;

namespace OpeaChat.Benchmarks.Prefix;

public sealed record PrefixTurn(int Turn, int PromptTokens, int CachedTokens, double Milliseconds);

public sealed record PrefixRun(string Mode, IReadOnlyList<PrefixTurn> Turns)
{
    public double TotalMilliseconds => Turns.Sum(turn => turn.Milliseconds);
}

public sealed record PrefixResult(string Target, string Model, int TurnCount, int MaxTokens, DateTimeOffset StartedAt, IReadOnlyList<PrefixRun> Runs);

/// <summary>
/// A chat of N turns where every request carries the whole history, as a chat client sends it. Run once with the
/// server's prefix cache (cache_prompt true) and once without, so the saving shows turn by turn.
/// </summary>
public sealed class PrefixBenchmark(HttpClient client, int turns, int maxTokens)
{
    private static readonly string[] s_questions =
    [
        "Tell me a story about a little fox.", "What did the fox find?", "Who did the fox meet next?", "Where did they go?",
        "What was the weather like?", "What did they eat?", "Did anything go wrong?", "How did they fix it?",
    ];

    public async Task<PrefixResult> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var withCache = await RunChatAsync(cachePrompt: true, cancellationToken);
        var withoutCache = await RunChatAsync(cachePrompt: false, cancellationToken);
        return new PrefixResult(client.BaseAddress!.ToString(), withCache.Model, turns, maxTokens, started, [withCache.Run, withoutCache.Run]);
    }

    private async Task<(string Model, PrefixRun Run)> RunChatAsync(bool cachePrompt, CancellationToken cancellationToken)
    {
        var history = new List<ChatMessage> { ChatMessage.Create("system", "You are a storyteller who continues the story the user asks about.") };
        var results = new List<PrefixTurn>();
        var model = string.Empty;
        for (var turn = 1; turn <= turns; turn++)
        {
            history.Add(ChatMessage.Create("user", s_questions[(turn - 1) % s_questions.Length]));
            var request = new ChatCompletionRequest
            {
                Messages = history.ToArray(),
                MaxTokens = maxTokens,
                Temperature = 0,
                Seed = turn,
                IgnoreEos = true,
                CachePrompt = cachePrompt,
            };

            var stopwatch = Stopwatch.StartNew();
            using var response = await client.PostAsJsonAsync("v1/chat/completions", request, OpenAiJsonContext.Default.ChatCompletionRequest, cancellationToken);
            response.EnsureSuccessStatusCode();
            var completion = await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.ChatCompletionResponse, cancellationToken)
                ?? throw new InvalidOperationException("Empty response.");
            stopwatch.Stop();

            model = completion.Model;
            history.Add(ChatMessage.Create("assistant", completion.Choices[0].Message.Content?.Text ?? string.Empty));
            results.Add(new PrefixTurn(turn, completion.Usage.PromptTokens, completion.Usage.PromptTokensDetails?.CachedTokens ?? 0, stopwatch.Elapsed.TotalMilliseconds));
        }

        return (model, new PrefixRun(cachePrompt ? "prefix reuse" : "no reuse", results));
    }
}
