using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Load.InProcess;
using OpeaChat.Benchmarks.Load.Targets;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// The in-process target on the real test model beside the running app's inference service, and requests the service
/// refuses (429) counted as errors. Uses the app's services rather than starting more in-process hosts.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class InProcessTargetTests(AppFixture app)
{
    [Fact]
    public async Task The_in_process_target_generates_exactly_the_asked_tokens_and_is_compared_with_direct_inference()
    {
        var workload = new LoadWorkload { Users = [1, 2], RequestsPerUser = 2, PromptTokens = 64, MaxTokens = 6, WarmupRequests = 1 };
        var settings = new InProcessSettings { Threads = 1, ContextSize = 2048, MaxParallelSequences = 4 };
        await using var inProcess = new InProcessTarget(TestModel.Path, settings);
        await using var direct = new OpenAiTarget(app.InferenceBaseUri, AppFixture.InferenceApiKey);

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
        Assert.Null(service.Failure);
        Assert.Equal(service.PromptTokens, floor.PromptTokens);
        Assert.Equal(service.PromptWords, floor.PromptWords);
        Assert.NotNull(service.Settings?.MaxParallelSequences);

        // Direct inference is compared against the floor, not the other way round.
        Assert.Equal([1, 2], result.Comparisons.Where(c => c.Target == "openai" && c.Baseline == "inprocess").Select(c => c.Users));
    }

    [Fact]
    public async Task Requests_refused_by_a_full_queue_are_errors_with_the_status_and_sent_still_equals_completed_plus_errors()
    {
        // More users at once than the app's inference runs and queues (4 sequences + 64 waiting by default).
        var workload = new LoadWorkload { Users = [100], RequestsPerUser = 1, PromptTokens = 64, MaxTokens = 120, WarmupRequests = 0 };
        await using var direct = new OpenAiTarget(app.InferenceBaseUri, AppFixture.InferenceApiKey);

        var result = await new LoadRunner([direct], workload).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));

        var target = Assert.Single(result.Targets);
        Assert.Null(target.Failure);
        var level = Assert.Single(target.Levels);
        Assert.Equal(100, level.Sent);
        Assert.Equal(level.Sent, level.Completed + level.Errors);
        Assert.True(level.Errors > 0, "100 users at once against 4 sequences and a queue of 64");
        Assert.True(level.Completed > 0);
        Assert.Contains(level.ErrorSamples, error => error.StartsWith("HTTP 429", StringComparison.Ordinal));
        Assert.Equal(level.Completed, level.TtftMs!.Count);
    }
}
