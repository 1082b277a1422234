extern alias BenchmarksTool;

using BenchmarksTool::OpeaChat.Benchmarks.Load;
using BenchmarksTool::OpeaChat.Benchmarks.Load.InProcess;
using BenchmarksTool::OpeaChat.Benchmarks.Load.Targets;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>The in-process target on the real test model, and refused requests counted against inference alone.</summary>
public sealed class InProcessAndQueueTests
{
    [Fact]
    public async Task The_in_process_target_generates_exactly_the_asked_tokens_and_is_compared_with_direct_inference()
    {
        NativeLogging.EnsureConfigured();
        using var host = InferenceHost.Start(("MaxParallelSequences", "4"), ("Threads", "1"));
        await host.WaitUntilReadyAsync();
        var workload = new LoadWorkload { Users = [1, 2], RequestsPerUser = 2, PromptTokens = 64, MaxTokens = 6, WarmupRequests = 1 };
        var settings = new InProcessSettings { Threads = 1, ContextSize = 2048, MaxParallelSequences = 4 };
        await using var inProcess = new InProcessTarget(TestModel.Path, settings);
        await using var direct = new OpenAiTarget(host.BaseAddress);

        var result = await new LoadRunner([direct, inProcess], workload).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));

        var floor = result.Targets.Single(target => target.Kind == "inprocess");
        Assert.Null(floor.Failure);
        Assert.Equal("stories260K", floor.Model);
        Assert.Equal(TokenCountSources.Exact, floor.OutputTokensSource);
        Assert.Equal(new TargetSettings(1, 1, 2048, 4, 512, 512, true), floor.Settings);
        foreach (var level in floor.Levels)
        {
            Assert.Equal(level.Users * 2, level.Sent);
            Assert.Equal(level.Sent, level.Completed);
            Assert.Equal(level.Completed * workload.MaxTokens, level.OutputTokens);
            Assert.Equal(level.Completed, level.TtftMs!.Count);
            Assert.Equal(level.Completed, level.TpotMs!.Count);
        }

        // Same model, template and tokenizer: the prompt is as long in process as through the service.
        var service = result.Targets.Single(target => target.Kind == "openai");
        Assert.Equal(service.PromptTokens, floor.PromptTokens);
        Assert.Equal(service.PromptWords, floor.PromptWords);
        Assert.Equal(4, service.Settings?.MaxParallelSequences);

        // Direct inference is compared against the floor, not the other way round.
        Assert.Equal([1, 2], result.Comparisons.Where(c => c.Target == "openai" && c.Baseline == "inprocess").Select(c => c.Users));
    }

    [Fact]
    public async Task Requests_refused_by_a_full_queue_are_errors_with_the_status_and_sent_still_equals_completed_plus_errors()
    {
        using var host = InferenceHost.Start(("MaxParallelSequences", "1"), ("MaxQueueLength", "0"));
        await host.WaitUntilReadyAsync();
        var workload = new LoadWorkload { Users = [4], RequestsPerUser = 2, PromptTokens = 64, MaxTokens = 300, WarmupRequests = 0 };
        await using var direct = new OpenAiTarget(host.BaseAddress);

        var result = await new LoadRunner([direct], workload).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));

        var target = Assert.Single(result.Targets);
        Assert.Null(target.Failure);
        var level = Assert.Single(target.Levels);
        Assert.Equal(8, level.Sent);
        Assert.Equal(level.Sent, level.Completed + level.Errors);
        Assert.True(level.Errors > 0, "four users at once against one sequence and no queue");
        Assert.True(level.Completed > 0);
        Assert.Contains(level.ErrorSamples, error => error.StartsWith("HTTP 429", StringComparison.Ordinal));
        Assert.Equal(level.Completed, level.TtftMs!.Count);
    }
}
