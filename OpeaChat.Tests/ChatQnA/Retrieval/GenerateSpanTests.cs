using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Retrieval;

/// <summary>
/// The generate span of OPEA's graph around a streamed reply: it ends when the stream ends (complete, or stopped when
/// the client leaves), and says why when the model could not answer. Real gateway, real inference on the test model.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class GenerateSpanTests(RetrievalInferenceFixture inference) : IClassFixture<RetrievalInferenceFixture>, IDisposable
{
    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == RetrievalTelemetry.SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    [Fact]
    public async Task A_streamed_reply_is_one_generate_span_that_ends_with_the_stream()
    {
        Listen();
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        // The test's own activity: its trace id (sent as traceparent) picks out this question's spans.
        using var question = new Activity("question").Start();

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", use_documents = false, max_tokens = 6, ignore_eos = true });
        var body = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        var generate = await WaitForGenerateAsync(question.TraceId);
        Assert.Equal((ActivityStatusCode.Unset, "complete", true), (generate.Status, generate.GetTagItem("outcome"), generate.GetTagItem("stream")));
        Assert.Equal(6, generate.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.IsType<int>(generate.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.False(string.IsNullOrEmpty(generate.GetTagItem("gen_ai.response.model") as string));
    }

    [Fact]
    public async Task A_stream_the_client_leaves_ends_its_generate_span_as_stopped()
    {
        Listen();
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        using var question = new Activity("question").Start();

        // Thousands of tokens (ignore_eos): the reply is still being generated when the client goes.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new { messages = "Once upon a time", use_documents = false, max_tokens = 4000, ignore_eos = true }),
        })
        using (var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line && !line.StartsWith("data: b", StringComparison.Ordinal))
            {
            }
        }

        var generate = await WaitForGenerateAsync(question.TraceId);
        Assert.Equal((ActivityStatusCode.Unset, "stopped"), (generate.Status, generate.GetTagItem("outcome")));
        // It ended when the client left: inference, cut off, never sent the usage that ends a whole reply.
        Assert.Null(generate.GetTagItem("gen_ai.usage.output_tokens"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task When_the_model_cannot_be_reached_the_generate_span_has_the_error(bool stream)
    {
        Listen();
        using var gateway = GatewayHost.Start(GatewayHost.Nowhere());
        using var question = new Activity("question").Start();

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", use_documents = false, stream });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var generate = await WaitForGenerateAsync(question.TraceId);
        Assert.Equal(ActivityStatusCode.Error, generate.Status);
        Assert.Contains("unreachable", generate.StatusDescription, StringComparison.Ordinal);
        Assert.Equal(("failed", "inference_unreachable", 503, stream), (generate.GetTagItem("outcome"), generate.GetTagItem("error.type"), generate.GetTagItem("http.response.status_code"), generate.GetTagItem("stream")));
    }

    public void Dispose() => _listener.Dispose();

    private void Listen()
    {
        _listener.ActivityStopped = activity =>
        {
            lock (_stopped)
            {
                _stopped.Add(activity);
            }
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The one generate span of the trace, once it has ended (a stream's ends after the response does).</summary>
    private async Task<Activity> WaitForGenerateAsync(ActivityTraceId traceId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            lock (_stopped)
            {
                if (_stopped.Where(span => span.TraceId == traceId && span.OperationName == "generate").ToList() is [var only])
                {
                    return only;
                }
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
