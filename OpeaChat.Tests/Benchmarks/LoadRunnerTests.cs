using System.Collections.Concurrent;
using System.Diagnostics;
using OpeaChat.Benchmarks.Load;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>The runner's bookkeeping with a scripted target: who is sent what, in which order, and how rounds pool.</summary>
public sealed class LoadRunnerTests
{
    [Fact]
    public async Task Rounds_repeat_the_sweep_with_targets_taking_turns_and_each_level_pools_its_rounds()
    {
        var calls = new ConcurrentQueue<string>();
        await using var first = new ScriptedTarget("openai", calls);
        await using var second = new ScriptedTarget("chatqna", calls);
        var progress = new CountingProgress();
        var workload = new LoadWorkload { Users = [1, 3], RequestsPerUser = 2, Rounds = 3, PromptTokens = 50, MaxTokens = 5, WarmupRequests = 2 };

        var result = await new LoadRunner([first, second], workload, progress).RunAsync(CancellationToken.None);

        foreach (var target in result.Targets)
        {
            Assert.Equal([1, 3], target.Levels.Select(level => level.Users));
            Assert.All(target.Levels, level =>
            {
                Assert.Equal(level.Users * 2 * 3, level.Sent);
                Assert.Equal(level.Sent, level.Completed);
                Assert.Equal(level.Sent * 5, level.OutputTokens);
                Assert.Equal(level.Sent, level.TtftMs!.Count);
                Assert.Equal(3, level.OutputTokensPerSecondByRound.Count);
                Assert.Equal(level.OutputTokensPerSecondByRound.Max(), level.BestRoundOutputTokensPerSecond);
            });
            Assert.Equal(50, target.PromptTokens);
            Assert.Equal(49, target.PromptWords); // one token of overhead, one token a word
        }

        // Warm-up first, then per round and level the targets in turn: openai 1 user, chatqna 1 user, openai 3 users, ...
        var order = calls.Where(call => call.StartsWith("send", StringComparison.Ordinal)).Select(call => call.Split(':')[1]).ToList();
        Assert.Equal(2 + 2 + (3 * (2 + 6 + 2 + 6)), order.Count);
        Assert.Equal(["openai", "openai", "chatqna", "chatqna", "openai", "openai", "chatqna", "chatqna"], order.Take(8));
        Assert.Equal(3 * 2 * (2 + 6), progress.Finished);
        Assert.Equal(3 * 2 * 2, progress.Started);
        Assert.Equal(2 * 2, progress.Levels);

        // Every prompt is new: request numbers never repeat.
        var prompts = calls.Where(call => call.StartsWith("send", StringComparison.Ordinal)).Select(call => call.Split(':')[2]).ToList();
        Assert.Equal(prompts.Count, prompts.Distinct().Count());
    }

    [Fact]
    public async Task Two_targets_of_one_kind_are_told_apart_by_address_in_results_and_comparisons()
    {
        var calls = new ConcurrentQueue<string>();
        await using var gatewayDoor = new ScriptedTarget("openai", calls, "http://127.0.0.1:8888/");
        await using var inference = new ScriptedTarget("openai", calls, "http://127.0.0.1:9009/");
        await using var floor = new ScriptedTarget("inprocess", calls, "/models/m.gguf");
        var workload = new LoadWorkload { Users = [1], RequestsPerUser = 1, PromptTokens = 10, MaxTokens = 3, WarmupRequests = 0 };

        var result = await new LoadRunner([gatewayDoor, inference, floor], workload).RunAsync(CancellationToken.None);

        Assert.Equal(["openai@127.0.0.1:8888", "openai@127.0.0.1:9009", "inprocess"], result.Targets.Select(target => target.Name));
        Assert.Equal(["openai", "openai", "inprocess"], result.Targets.Select(target => target.Kind));
        Assert.Contains(result.Comparisons, c => c.Target == "openai@127.0.0.1:8888" && c.Baseline == "inprocess");
        Assert.Contains(result.Comparisons, c => c.Target == "openai@127.0.0.1:9009" && c.Baseline == "inprocess");
        Assert.Single(result.Comparisons, c => c.Target.StartsWith("openai@", StringComparison.Ordinal) && c.Baseline.StartsWith("openai@", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { 1, 1 }, 1, "each user count may appear once")]
    [InlineData(new[] { 0 }, 1, "users must be a list")]
    [InlineData(new[] { 1 }, 0, "rounds must be at least 1")]
    public async Task An_impossible_workload_is_refused_before_anything_is_sent(int[] users, int rounds, string message)
    {
        var calls = new ConcurrentQueue<string>();
        await using var target = new ScriptedTarget("openai", calls);
        var exception = await Assert.ThrowsAsync<ArgumentException>(() =>
            new LoadRunner([target], new LoadWorkload { Users = users, Rounds = rounds }).RunAsync(CancellationToken.None));
        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
        Assert.Empty(calls);
    }

    /// <summary>Counts one token of overhead plus one per word, answers every request at once with five tokens.</summary>
    private sealed class ScriptedTarget(string kind, ConcurrentQueue<string> calls, string address = "scripted") : ILoadTarget
    {
        public string Kind => kind;

        public string Address => address;

        public string OutputTokensSource => TokenCountSources.Exact;

        public Task<TargetInfo> StartAsync(CancellationToken cancellationToken) => Task.FromResult(new TargetInfo("scripted", null));

        public Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken) =>
            Task.FromResult(prompt.Split(' ').Length);

        public async Task<RequestSample> SendAsync(string prompt, LoadWorkload workload, CancellationToken cancellationToken)
        {
            calls.Enqueue($"send:{kind}:{prompt.Split(' ')[0]}");
            var start = Stopwatch.GetTimestamp();
            await Task.Yield();
            return new RequestSample(start, start + 1000, start + 5000, workload.MaxTokens, null, null);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class CountingProgress : ILoadProgress
    {
        private int _started;
        private int _finished;
        private int _levels;

        public int Started => _started;

        public int Finished => _finished;

        public int Levels => _levels;

        public void LevelStarting(string target, int users, int round, int requests) => Interlocked.Increment(ref _started);

        public void RequestFinished(string target, int users, int round, bool succeeded) => Interlocked.Increment(ref _finished);

        public void LevelFinished(string target, LevelResult level) => Interlocked.Increment(ref _levels);
    }
}
