using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Load.Targets;

/// <summary>
/// Any OpenAI-compatible <c>/v1/chat/completions</c>, streamed with <c>stream_options.include_usage</c>: TTFT is the
/// first chunk with text (the role-only chunk a server sends at once does not count), output tokens come from usage.
/// </summary>
public sealed class OpenAiTarget(Uri baseUri, string? apiKey = null) : HttpTarget(baseUri, apiKey)
{
    private const string ChatPath = "v1/chat/completions";
    private string? _model;

    public override string Kind => "openai";

    public override string OutputTokensSource => TokenCountSources.Usage;

    public override async Task<TargetInfo> StartAsync(CancellationToken cancellationToken)
    {
        // The inference service describes its models and their batching; other servers may not: that is fine.
        try
        {
            using var response = await Client.GetAsync(new Uri("v1/models", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode
                && await response.Content.ReadFromJsonAsync(TolerantOpenAiJson.TypeInfo<ModelList>(), cancellationToken).ConfigureAwait(false) is { Data: { Count: > 0 } models })
            {
                var model = models.FirstOrDefault(entry => entry.Default) ?? models.FirstOrDefault(entry => entry.Loaded) ?? models[0];
                _model = model.Id;
                return new TargetInfo(model.Id, model.MaxParallelSequences is null ? null
                    : new TargetSettings(null, null, null, model.MaxParallelSequences, model.SequenceContextSize, null, null));
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or NotSupportedException)
        {
            throw new InvalidOperationException($"The OpenAI target {Address} is unreachable: {exception.Message}", exception);
        }

        return new TargetInfo(null, null);
    }

    public override async Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken)
    {
        var request = CreateRequest(prompt, maxTokens: 1, stream: false, new LoadWorkload { Users = [1] }) with { CachePrompt = false };
        using var response = await Client.PostAsJsonAsync(ChatPath, request, OpenAiJsonContext.Default.ChatCompletionRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{Address} refused a calibration request: {await DescribeFailureAsync(response, cancellationToken).ConfigureAwait(false)}");
        }

        var answer = await response.Content.ReadFromJsonAsync(TolerantOpenAiJson.TypeInfo<ChatCompletionResponse>(), cancellationToken).ConfigureAwait(false);
        return answer?.Usage?.PromptTokens ?? throw new InvalidOperationException($"{Address} answered without usage.prompt_tokens.");
    }

    protected override Task<RequestSample> StreamAsync(long start, string prompt, LoadWorkload workload, CancellationToken cancellationToken) =>
        PostStreamAsync(start, ChatPath, JsonContent.Create(CreateRequest(prompt, workload.MaxTokens, stream: true, workload), OpenAiJsonContext.Default.ChatCompletionRequest),
            body => ReadChunksAsync(start, body, cancellationToken), cancellationToken);

    private static async Task<RequestSample> ReadChunksAsync(long start, Stream body, CancellationToken cancellationToken)
    {
        long? firstToken = null;
        var pieces = 0;
        Usage? usage = null;
        try
        {
            await foreach (var chunk in ChatCompletionStream.ReadAsync(body, TolerantOpenAiJson.TypeInfo<ChatCompletionChunk>(), cancellationToken).ConfigureAwait(false))
            {
                usage = chunk.Usage ?? usage;
                if (chunk.Choices?.Any(choice => !string.IsNullOrEmpty(choice.Delta?.Content)) == true)
                {
                    firstToken ??= Stopwatch.GetTimestamp();
                    pieces++;
                }
            }
        }
        catch (ChatCompletionStreamException exception)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(),
                exception.Error is { } error ? $"stream error {error.Code}: {error.Message}" : "the stream ended without [DONE]", pieces);
        }

        return new RequestSample(start, firstToken, Stopwatch.GetTimestamp(), usage?.CompletionTokens ?? pieces, usage?.PromptTokens, null);
    }

    private ChatCompletionRequest CreateRequest(string prompt, int maxTokens, bool stream, LoadWorkload workload) => new()
    {
        Model = _model,
        Messages = [ChatMessage.Create("user", prompt)],
        MaxTokens = maxTokens,
        Temperature = workload.Sampling.Temperature,
        TopP = workload.Sampling.TopP,
        TopK = workload.Sampling.TopK,
        RepeatPenalty = workload.Sampling.RepeatPenalty,
        Seed = workload.Sampling.Seed,
        IgnoreEos = true,
        CachePrompt = workload.CachePrompt,
        Stream = stream,
        StreamOptions = stream ? new StreamOptions { IncludeUsage = true } : null,
    };
}
