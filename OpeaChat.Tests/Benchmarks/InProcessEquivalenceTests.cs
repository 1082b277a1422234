using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Load.InProcess;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// The benchmark's in-process target runs the inference service's own engine (decode loop, prompt formatter, sampler):
/// for the same prompt, seed and settings it writes the same reply, token for token, as the service over HTTP.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class InProcessEquivalenceTests
{
    private const int MaxTokens = 40;

    [Fact]
    public async Task The_in_process_target_replies_exactly_as_the_inference_service_for_the_same_seed_and_prompt()
    {
        using var service = InferenceHost.Start(("BatchThreads", "1"), ("ContextSize", "2048"), ("MaxParallelSequences", "4"));
        await service.WaitUntilReadyAsync();
        var settings = new InProcessSettings { Threads = 1, BatchThreads = 1, ContextSize = 2048, MaxParallelSequences = 4 };
        await using var inProcess = new InProcessTarget(TestModel.Path, settings);
        await inProcess.StartAsync(CancellationToken.None);

        (string Prompt, SamplingSpec Sampling)[] cases =
        [
            ("Once upon a time", new SamplingSpec()), // OPEA's defaults: temperature 0.01, nearly greedy
            ("The little dog", new SamplingSpec(Temperature: 0.9f, TopP: 0.95f, TopK: 40, RepeatPenalty: 1.1f, Seed: 1234)),
            ("The little dog", new SamplingSpec(Temperature: 0.9f, TopP: 0.95f, TopK: 40, RepeatPenalty: 1.1f, Seed: 99)),
        ];
        var replies = new List<string>();
        foreach (var (prompt, sampling) in cases)
        {
            var workload = new LoadWorkload { Users = [1], MaxTokens = MaxTokens, Sampling = sampling };
            var (sample, text) = await inProcess.GenerateAsync(prompt, workload, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
            var reply = await OpenAiCalls.ChatAsync(service.Client, new
            {
                messages = OpenAiCalls.User(prompt),
                max_tokens = MaxTokens,
                temperature = sampling.Temperature,
                top_p = sampling.TopP,
                top_k = sampling.TopK,
                repeat_penalty = sampling.RepeatPenalty,
                seed = sampling.Seed,
                ignore_eos = true,
            }).WaitAsync(TimeSpan.FromMinutes(1));

            Assert.Null(sample.Error);
            Assert.Equal(200, reply.Status);
            Assert.Equal(reply.PromptTokens, sample.PromptTokens);
            Assert.Equal(MaxTokens, reply.CompletionTokens);
            Assert.Equal(MaxTokens, sample.OutputTokens);
            Assert.False(string.IsNullOrEmpty(text));
            Assert.Equal(reply.Text, text);
            replies.Add(text);
        }

        // The seed reaches the sampler on both sides: another seed, another reply.
        Assert.NotEqual(replies[1], replies[2]);
    }
}
