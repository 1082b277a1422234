using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Contracts.Opea;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Load.Targets;

/// <summary>
/// The OPEA gateway's <c>/v1/chatqna</c>. Its stream is <c>data: b'…'</c> events with no usage, so TTFT is the first
/// text event and the output is counted in events: one event is one token piece (a token whose bytes do not yet
/// form whole characters is sent with the next one, so the count can fall slightly short of the tokens).
/// </summary>
public sealed class ChatQnATarget(Uri baseUri) : HttpTarget(baseUri)
{
    private const string ChatPath = "v1/chatqna";

    public override string Kind => "chatqna";

    public override string OutputTokensSource => TokenCountSources.Events;

    /// <summary>The model name the gateway's answers carry (known once it has answered).</summary>
    public string? Model { get; private set; }

    /// <summary>One short non-streamed request: the gateway answers, and its answer names the model.</summary>
    public override async Task<TargetInfo> StartAsync(CancellationToken cancellationToken)
    {
        _ = await CountPromptTokensAsync("Hello", cancellationToken).ConfigureAwait(false);
        return new TargetInfo(Model, null);
    }

    public override async Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken)
    {
        // The non-streamed answer carries usage: the gateway's prompt as inference counts it, template included.
        var request = CreateRequest(prompt, maxTokens: 1, stream: false, new LoadWorkload { Users = [1] });
        HttpResponseMessage response;
        try
        {
            response = await Client.PostAsJsonAsync(ChatPath, request, OpeaJsonContext.Default.OpeaChatRequest, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException($"The ChatQnA target {Address} is unreachable: {exception.Message}", exception);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{Address} refused a calibration request: {await DescribeFailureAsync(response, cancellationToken).ConfigureAwait(false)}");
            }

            var answer = await response.Content.ReadFromJsonAsync(OpeaJsonContext.Default.OpeaChatResponse, cancellationToken).ConfigureAwait(false);
            Model = answer?.Model;
            return answer?.Usage.PromptTokens ?? throw new InvalidOperationException($"{Address} answered without usage.prompt_tokens.");
        }
    }

    protected override Task<RequestSample> StreamAsync(long start, string prompt, LoadWorkload workload, CancellationToken cancellationToken) =>
        PostStreamAsync(start, ChatPath, JsonContent.Create(CreateRequest(prompt, workload.MaxTokens, stream: true, workload), OpeaJsonContext.Default.OpeaChatRequest),
            body => ReadEventsAsync(start, body, cancellationToken), cancellationToken);

    private static async Task<RequestSample> ReadEventsAsync(long start, Stream body, CancellationToken cancellationToken)
    {
        long? firstToken = null;
        var events = 0;
        try
        {
            await foreach (var literal in ChatQnAStream.ReadLiteralsAsync(body, cancellationToken).ConfigureAwait(false))
            {
                if (literal.Length > 3) // b'' carries nothing
                {
                    firstToken ??= Stopwatch.GetTimestamp();
                    events++;
                }
            }
        }
        catch (ChatQnAStreamException exception)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(),
                exception.Detail is { } detail ? $"stream error: {detail}" : "the stream ended without [DONE]", events);
        }

        return new RequestSample(start, firstToken, Stopwatch.GetTimestamp(), events, null, null);
    }

    /// <summary>
    /// OPEA's request. <c>ignore_eos</c> and <c>cache_prompt</c> are llama-server extensions: sent so that a gateway that
    /// passes them on gives exactly the asked lengths; one that drops them still answers (OPEA ignores unknown fields).
    /// </summary>
    private static OpeaChatRequest CreateRequest(string prompt, int maxTokens, bool stream, LoadWorkload workload) => new()
    {
        Messages = new OpeaMessages([new OpeaMessage("user", prompt)], WasPlainString: false),
        Stream = stream,
        MaxTokens = maxTokens,
        Temperature = workload.Sampling.Temperature,
        TopP = workload.Sampling.TopP,
        TopK = workload.Sampling.TopK,
        RepetitionPenalty = workload.Sampling.RepeatPenalty,
        Seed = workload.Sampling.Seed,
        IgnoreEos = true,
        CachePrompt = workload.CachePrompt,
    };
}
