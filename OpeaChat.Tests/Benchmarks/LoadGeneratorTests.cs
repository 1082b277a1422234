using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Load.Targets;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// The load generator against the running app on the test model: it must count and time what really happened.
/// These tests check the tool's bookkeeping, never the speed it measures.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class LoadGeneratorTests(AppFixture app)
{
    [Fact]
    public async Task Gateway_and_direct_inference_counts_add_up_and_every_histogram_has_the_completed_requests()
    {
        var workload = new LoadWorkload { Users = [1, 3], RequestsPerUser = 2, PromptTokens = 64, MaxTokens = 8, WarmupRequests = 1 };
        await using var gateway = new ChatQnATarget(app.ChatQnABaseUri);
        await using var direct = new OpenAiTarget(app.InferenceBaseUri, AppFixture.InferenceApiKey);

        var result = await new LoadRunner([gateway, direct], workload).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.Equal(["chatqna", "openai"], result.Targets.Select(target => target.Kind));
        foreach (var target in result.Targets)
        {
            Assert.Null(target.Failure);
            Assert.Equal("stories260K", target.Model);
            Assert.InRange(target.PromptTokens, 1, workload.PromptTokens);
            Assert.Equal([1, 3], target.Levels.Select(level => level.Users));
            foreach (var level in target.Levels)
            {
                Assert.Equal(level.Users * workload.RequestsPerUser, level.Sent);
                Assert.Equal(level.Sent, level.Completed + level.Errors);
                Assert.Equal(0, level.Errors);
                Assert.Empty(level.ErrorSamples);
                Assert.Equal(level.Completed, level.EndToEndMs!.Count);
                Assert.Equal(level.Completed, level.OutputTokensPerRequest!.Count);
                Assert.InRange(level.TtftMs!.Count, 1, level.Completed);
                Assert.True(level.TpotMs!.Count > 0);
                Assert.True(level.OutputTokens > 0);
                Assert.True(level.OutputTokensPerSecond > 0 && level.RequestsPerSecond > 0 && level.DurationSeconds > 0);
                Assert.True(level.TtftMs.P50 <= level.TtftMs.P90 && level.TtftMs.P90 <= level.TtftMs.P99 && level.TtftMs.P99 <= level.TtftMs.Max);
                Assert.True(level.TtftMs.P50 <= level.EndToEndMs.P50);
            }
        }

        // Direct inference honours ignore_eos and reports usage: every reply is exactly max_tokens long.
        var openai = result.Targets.Single(target => target.Kind == "openai");
        Assert.Equal(TokenCountSources.Usage, openai.OutputTokensSource);
        Assert.All(openai.Levels, level =>
        {
            Assert.Equal(workload.MaxTokens, level.OutputTokensPerRequest!.Min);
            Assert.Equal(workload.MaxTokens, level.OutputTokensPerRequest.Max);
            Assert.Equal(level.Completed * workload.MaxTokens, level.OutputTokens);
            Assert.Equal(level.Completed, level.TtftMs!.Count);
        });

        // The OPEA stream has no usage: its output is counted in events, at most one per token.
        var chatqna = result.Targets.Single(target => target.Kind == "chatqna");
        Assert.Equal(TokenCountSources.Events, chatqna.OutputTokensSource);
        Assert.All(chatqna.Levels, level => Assert.InRange(level.OutputTokensPerRequest!.Max, 1, workload.MaxTokens));

        // The same prompt text is as long at both doors: the gateway sends the user's message on unchanged.
        Assert.Equal(openai.PromptTokens, chatqna.PromptTokens);

        // The gateway is compared with direct inference at both concurrencies.
        Assert.Equal([1, 3], result.Comparisons.Where(c => c.Target == "chatqna" && c.Baseline == "openai").Select(c => c.Users));
        Assert.All(result.Comparisons, comparison => Assert.True(comparison.OutputTokensPerSecondRatio > 0));
        Assert.All(openai.Levels, level => Assert.NotNull(level.ScalingVsOneUser));
    }

    [Fact]
    public async Task Requests_that_time_out_are_counted_as_errors_and_the_counts_still_add_up()
    {
        var workload = new LoadWorkload
        {
            Users = [2], RequestsPerUser = 3, PromptTokens = 64, MaxTokens = 400, WarmupRequests = 0,
            RequestTimeout = TimeSpan.FromMilliseconds(1),
        };
        await using var direct = new OpenAiTarget(app.InferenceBaseUri, AppFixture.InferenceApiKey);

        var result = await new LoadRunner([direct], workload).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));

        var target = Assert.Single(result.Targets);
        Assert.Null(target.Failure);
        var level = Assert.Single(target.Levels);
        Assert.Equal(6, level.Sent);
        Assert.Equal(level.Sent, level.Completed + level.Errors);
        Assert.True(level.Errors > 0);
        Assert.Contains(level.ErrorSamples, error => error.Contains("timed out", StringComparison.Ordinal));
        Assert.Equal(level.Completed, level.EndToEndMs?.Count ?? 0);
    }

    [Fact]
    public async Task A_target_that_cannot_be_reached_is_reported_as_not_measured_beside_the_others()
    {
        var workload = new LoadWorkload { Users = [1], RequestsPerUser = 1, PromptTokens = 64, MaxTokens = 4 };
        await using var nowhere = new OpenAiTarget(new Uri("http://127.0.0.1:9/"));
        await using var direct = new OpenAiTarget(app.InferenceBaseUri, AppFixture.InferenceApiKey);

        var result = await new LoadRunner([nowhere, direct], workload).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));

        var failed = result.Targets[0];
        Assert.NotNull(failed.Failure);
        Assert.Contains("unreachable", failed.Failure, StringComparison.Ordinal);
        Assert.Empty(failed.Levels);
        Assert.Null(result.Targets[1].Failure);
        var measured = Assert.Single(result.Targets[1].Levels);
        Assert.Equal(1, measured.Completed);
        Assert.Empty(result.Comparisons);
    }
}
