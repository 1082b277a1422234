using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference;

/// <summary>What the dashboard shows comes from these instruments and spans: check they carry the request's numbers.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task A_request_records_latency_token_metrics_and_a_span_with_its_counts()
    {
        var measurements = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "OpeaChat.Inference")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((instrument, value, _, _) => measurements.GetOrAdd(instrument.Name, _ => []).Add(value));
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.GetOrAdd(instrument.Name, _ => []).Add(value));
        meters.SetMeasurementEventCallback<int>((instrument, value, _, _) => measurements.GetOrAdd(instrument.Name, _ => []).Add(value));
        meters.Start();

        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "OpeaChat.Inference",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);

        using var host = InferenceHost.Start();
        await host.WaitUntilReadyAsync();
        var reply = await ChatAsync(host.Client, new { messages = User("Once upon a time"), max_tokens = 7, ignore_eos = true, seed = 424242 });
        meters.RecordObservableInstruments();

        Assert.Equal(7, reply.CompletionTokens);
        Assert.Contains(measurements["gen_ai.server.time_to_first_token"], seconds => seconds > 0);
        Assert.Contains(measurements["gen_ai.server.time_per_output_token"], seconds => seconds > 0);
        Assert.Contains(measurements["gen_ai.server.request.duration"], seconds => seconds > 0);
        Assert.Contains(measurements["opeachat.inference.completion_tokens"], count => (int)count == 7);
        Assert.Contains(measurements["opeachat.inference.prompt_tokens"], count => (int)count == reply.PromptTokens);
        Assert.True(measurements["opeachat.inference.generated_tokens"].Sum() >= 7);
        Assert.True(measurements.ContainsKey("opeachat.inference.active_sequences"));
        Assert.True(measurements.ContainsKey("opeachat.inference.kv_cells_used"));

        var span = Assert.Single(spans, span => span.DisplayName == "chat stories260K" && Equals(span.GetTagItem("gen_ai.request.seed"), 424242u));
        Assert.Equal(7, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(reply.PromptTokens, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal("length", span.GetTagItem("gen_ai.response.finish_reasons"));
    }
}
