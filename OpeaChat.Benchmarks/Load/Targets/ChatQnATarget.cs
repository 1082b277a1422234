using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

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
            response = await Client.PostAsJsonAsync(ChatPath, request, LoadWireJsonContext.Default.OpeaLoadRequest, cancellationToken).ConfigureAwait(false);
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

            var answer = await response.Content.ReadFromJsonAsync(LoadWireJsonContext.Default.CompletionUsage, cancellationToken).ConfigureAwait(false);
            Model = answer?.Model;
            return answer?.Usage?.PromptTokens ?? throw new InvalidOperationException($"{Address} answered without usage.prompt_tokens.");
        }
    }

    protected override async Task<RequestSample> StreamAsync(long start, string prompt, LoadWorkload workload, CancellationToken cancellationToken)
    {
        var request = CreateRequest(prompt, workload.MaxTokens, stream: true, workload);
        using var message = new HttpRequestMessage(HttpMethod.Post, ChatPath) { Content = JsonContent.Create(request, LoadWireJsonContext.Default.OpeaLoadRequest) };
        using var response = await Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), await DescribeFailureAsync(response, cancellationToken).ConfigureAwait(false));
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        long? firstToken = null;
        var events = 0;
        var errorEvent = false;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line == "event: error")
            {
                errorEvent = true;
                continue;
            }

            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            var data = line.AsSpan(6);
            if (errorEvent)
            {
                var detail = JsonSerializer.Deserialize(data, LoadWireJsonContext.Default.OpeaError)?.Detail.ToString();
                return RequestSample.Failed(start, Stopwatch.GetTimestamp(), $"stream error: {detail}", events);
            }

            if (data.SequenceEqual("[DONE]"))
            {
                return new RequestSample(start, firstToken, Stopwatch.GetTimestamp(), events, null, null);
            }

            if (data.Length > 3) // b'' carries nothing
            {
                firstToken ??= Stopwatch.GetTimestamp();
                events++;
            }
        }

        return RequestSample.Failed(start, Stopwatch.GetTimestamp(), "the stream ended without [DONE]", events);
    }

    private static OpeaLoadRequest CreateRequest(string prompt, int maxTokens, bool stream, LoadWorkload workload) => new()
    {
        Messages = [new OpeaLoadMessage("user", prompt)],
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
