using System.Diagnostics;
using System.Net.Http.Json;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Prefix;

public sealed record PrefixTurn(int Turn, int PromptTokens, int CachedTokens, double Milliseconds);

public sealed record PrefixRun(string Mode, bool CachePrompt, IReadOnlyList<PrefixTurn> Turns)
{
    public double TotalMilliseconds => Math.Round(Turns.Sum(turn => turn.Milliseconds), 3);
}

/// <summary>The results of one <c>prefix</c> run (stable snake_case JSON; <see cref="SchemaVersion"/> changes when it does).</summary>
public sealed record PrefixResult
{
    public const string SchemaVersion = "opeachat-benchmarks/prefix/1";

    public string Schema { get; init; } = SchemaVersion;
    public required string Target { get; init; }
    public required string Model { get; init; }
    public required int TurnCount { get; init; }
    public required int MaxTokens { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required MachineInfo Machine { get; init; }

    /// <summary>With prefix reuse first, then without.</summary>
    public required IReadOnlyList<PrefixRun> Runs { get; init; }

    /// <summary>Total time without reuse divided by total time with it.</summary>
    public double Speedup => Runs is [var with, var without] && with.TotalMilliseconds > 0
        ? Math.Round(without.TotalMilliseconds / with.TotalMilliseconds, 3)
        : 0;
}

/// <summary>
/// A chat of N turns where every request carries the whole history, as a chat client sends it, to an OpenAI-compatible
/// server. Run once with the server's prefix cache (<c>cache_prompt</c> true) and once without, so the saving shows
/// turn by turn. Replies are non-streamed and exactly <c>max_tokens</c> long (<c>ignore_eos</c>).
/// </summary>
public sealed class PrefixBenchmark(HttpClient client, int turns, int maxTokens)
{
    private static readonly string[] s_questions =
    [
        "Tell me a story about a little fox.", "What did the fox find?", "Who did the fox meet next?", "Where did they go?",
        "What was the weather like?", "What did they eat?", "Did anything go wrong?", "How did they fix it?",
    ];

    public async Task<PrefixResult> RunAsync(IProgress<(string Mode, int Turn)>? progress, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var loadAtStart = MachineProbe.LoadAverage();
        await WarmUpAsync(cancellationToken).ConfigureAwait(false);
        var withCache = await RunChatAsync(cachePrompt: true, progress, cancellationToken).ConfigureAwait(false);
        var withoutCache = await RunChatAsync(cachePrompt: false, progress, cancellationToken).ConfigureAwait(false);
        return new PrefixResult
        {
            Target = client.BaseAddress!.ToString(),
            Model = withCache.Model,
            TurnCount = turns,
            MaxTokens = maxTokens,
            StartedAt = started,
            Machine = MachineProbe.Describe(loadAtStart),
            Runs = [withCache.Run, withoutCache.Run],
        };
    }

    private async Task<(string Model, PrefixRun Run)> RunChatAsync(bool cachePrompt, IProgress<(string Mode, int Turn)>? progress, CancellationToken cancellationToken)
    {
        var mode = cachePrompt ? "prefix reuse" : "no reuse";
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
            var completion = await CompleteAsync(request, $"turn {turn} ({mode})", cancellationToken).ConfigureAwait(false);
            stopwatch.Stop();

            model = completion.Model;
            history.Add(ChatMessage.Create("assistant", completion.Choices[0].Message.Content?.Text ?? string.Empty));
            results.Add(new PrefixTurn(turn, completion.Usage.PromptTokens, completion.Usage.PromptTokensDetails?.CachedTokens ?? 0,
                Math.Round(stopwatch.Elapsed.TotalMilliseconds, 3)));
            progress?.Report((mode, turn));
        }

        return (model, new PrefixRun(mode, cachePrompt, results));
    }

    /// <summary>One uncounted request first, so the first measured turn does not pay for connections and a cold server.</summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken) => await CompleteAsync(new ChatCompletionRequest
    {
        Messages = [ChatMessage.Create("user", "Warm up.")],
        MaxTokens = maxTokens,
        IgnoreEos = true,
        CachePrompt = false,
    }, "the warm-up request", cancellationToken).ConfigureAwait(false);

    private async Task<ChatCompletionResponse> CompleteAsync(ChatCompletionRequest request, string what, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("v1/chat/completions", request, OpenAiJsonContext.Default.ChatCompletionRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"{client.BaseAddress} refused {what} with HTTP {(int)response.StatusCode}: {body}");
        }

        return await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.ChatCompletionResponse, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{client.BaseAddress} sent an empty answer to {what}.");
    }
}
