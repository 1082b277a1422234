using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Constrained;

/// <summary>
/// What constrained decoding costs: the same streamed request to an OpenAI-compatible <c>/v1/chat/completions</c>
/// sent unconstrained, held to a <c>json_schema</c> response format, and held to a tool call (<c>tool_choice:
/// "required"</c>), interleaved round by round (the order rotating) so the machine's noise falls on all three alike.
/// Every reply runs to <c>max_tokens</c>: the unconstrained one by <c>ignore_eos</c>, the constrained ones because
/// their schema asks for more JSON (<see cref="ConstrainedWorkload.ArrayItems"/> objects) than fits. The constrained
/// kinds do not send <c>ignore_eos</c>: once a grammar is complete only the end of generation is allowed, and a reply
/// forced past it measures that corner, not decoding.
/// </summary>
public sealed class ConstrainedBenchmark(HttpClient client, ConstrainedWorkload workload)
{
    private const string ChatPath = "v1/chat/completions";
    private const string ToolName = "record_animals";

    public static ConstrainedWorkload DefaultWorkload { get; } = new(
        Prompt: "Tell me a story about a little fox and the animals it met in the forest.",
        MaxTokens: 128, Rounds: 8, Temperature: 0.7f, TopK: 40, Seed: 42, ArrayItems: 64, WarmupRequests: 1);

    /// <summary>An object with an array of exactly N small objects: bounded strings, an integer, an enum.</summary>
    public static JsonElement LongSchema(int items) => JsonDocument.Parse($$"""
        {
          "type": "object",
          "properties": {
            "animals": {
              "type": "array", "minItems": {{items}}, "maxItems": {{items}},
              "items": {
                "type": "object",
                "properties": {
                  "name": { "type": "string", "minLength": 1, "maxLength": 16 },
                  "legs": { "type": "integer" },
                  "kind": { "enum": ["fox", "bird", "fish", "bear", "frog"] },
                  "said": { "type": "string", "maxLength": 40 }
                },
                "required": ["name", "legs", "kind", "said"]
              }
            }
          },
          "required": ["animals"]
        }
        """).RootElement.Clone();

    public async Task<ConstrainedResult> RunAsync(IProgress<(int Round, string Kind)>? progress, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var loadAtStart = MachineProbe.LoadAverage();
        string? model = null;
        for (var i = 0; i < workload.WarmupRequests; i++)
        {
            // Unconstrained only: the constrained kinds' first request is measured (it pays for the grammar).
            (_, model) = await SendAsync(ConstrainedKinds.Unconstrained, round: 0, cancellationToken).ConfigureAwait(false);
        }

        var samples = ConstrainedKinds.All.ToDictionary(kind => kind, _ => new List<ConstrainedSample>(), StringComparer.Ordinal);
        for (var round = 1; round <= workload.Rounds; round++)
        {
            for (var i = 0; i < ConstrainedKinds.All.Count; i++)
            {
                var kind = ConstrainedKinds.All[(i + round - 1) % ConstrainedKinds.All.Count];
                var (sample, served) = await SendAsync(kind, round, cancellationToken).ConfigureAwait(false);
                model ??= served;
                samples[kind].Add(sample);
                progress?.Report((round, kind));
            }
        }

        var kinds = ConstrainedKinds.All.Select(kind => Summarize(kind, samples[kind], workload.MaxTokens)).ToList();
        return new ConstrainedResult
        {
            Target = client.BaseAddress!.ToString(),
            Model = model,
            StartedAt = started,
            FinishedAt = DateTimeOffset.UtcNow,
            Machine = MachineProbe.Describe(loadAtStart),
            Workload = workload,
            Kinds = kinds,
            Ratios = Compare(kinds),
        };
    }

    public static ConstrainedKindResult Summarize(string kind, IReadOnlyList<ConstrainedSample> samples, int maxTokens)
    {
        var rest = samples.Skip(1).ToList();
        return new ConstrainedKindResult
        {
            Kind = kind,
            Constraint = kind switch
            {
                ConstrainedKinds.JsonSchema => "response_format json_schema",
                ConstrainedKinds.Tools => "tools, tool_choice required",
                ConstrainedKinds.ToolsUnconstrained => "none (tools shown, tool_choice none)",
                _ => "none",
            },
            IgnoreEos = ConstrainedKinds.IsBaseline(kind),
            First = samples[0],
            Rest = rest,
            DecodeTokensPerSecondP50 = Math.Round(Median(rest.Select(sample => sample.DecodeTokensPerSecond)), 2),
            RequestTokensPerSecondP50 = Math.Round(Median(rest.Select(sample => sample.RequestTokensPerSecond)), 2),
            TtftMsP50 = Math.Round(Median(rest.Select(sample => sample.TtftMs)), 3),
            EndedEarly = rest.Count(sample => sample.CompletionTokens < maxTokens),
        };
    }

    /// <summary>
    /// Each constrained kind's p50 over its baseline's p50 (the same prompt without a grammar), from the same run: the
    /// tools request's prompt is much longer, and a longer prompt alone makes each decode step slower.
    /// </summary>
    public static IReadOnlyList<ConstrainedRatio> Compare(IReadOnlyList<ConstrainedKindResult> kinds)
    {
        return kinds.Where(kind => !ConstrainedKinds.IsBaseline(kind.Kind)).Select(kind =>
        {
            var baseline = kinds.Single(candidate => candidate.Kind == ConstrainedKinds.BaselineOf(kind.Kind));
            var ratio = baseline.DecodeTokensPerSecondP50 > 0 ? Math.Round(kind.DecodeTokensPerSecondP50 / baseline.DecodeTokensPerSecondP50, 3) : 0;
            var first = baseline.DecodeTokensPerSecondP50 > 0 ? Math.Round(kind.First.DecodeTokensPerSecond / baseline.DecodeTokensPerSecondP50, 3) : 0;
            var request = baseline.RequestTokensPerSecondP50 > 0 ? Math.Round(kind.RequestTokensPerSecondP50 / baseline.RequestTokensPerSecondP50, 3) : 0;
            return new ConstrainedRatio(kind.Kind, baseline.Kind, request, ratio, first,
                Math.Round(kind.TtftMsP50 - baseline.TtftMsP50, 3), Math.Round(kind.First.TtftMs - baseline.TtftMsP50, 3),
                request >= ConstrainedResult.Goal);
        }).ToList();
    }

    public ChatCompletionRequest CreateRequest(string kind, int round)
    {
        var request = new ChatCompletionRequest
        {
            Messages = [ChatMessage.Create("user", workload.Prompt)],
            MaxTokens = workload.MaxTokens,
            Temperature = workload.Temperature,
            TopK = workload.TopK,
            Seed = workload.Seed + round, // the same for every kind of a round
            Stream = true,
            StreamOptions = new StreamOptions { IncludeUsage = true },
        };
        return kind switch
        {
            ConstrainedKinds.JsonSchema => request with
            {
                ResponseFormat = new ResponseFormat
                {
                    Type = "json_schema",
                    JsonSchema = new JsonSchemaFormat { Name = "animals", Schema = LongSchema(workload.ArrayItems), Strict = true },
                },
            },
            ConstrainedKinds.Tools => request with
            {
                Tools = [ChatTool.ForFunction(ToolName, "Records the animals of the story.", LongSchema(workload.ArrayItems))],
                ToolChoice = new ToolChoice(ToolChoice.Required),
            },
            ConstrainedKinds.ToolsUnconstrained => request with
            {
                Tools = [ChatTool.ForFunction(ToolName, "Records the animals of the story.", LongSchema(workload.ArrayItems))],
                ToolChoice = new ToolChoice(ToolChoice.None),
                IgnoreEos = true,
            },
            _ => request with { IgnoreEos = true },
        };
    }

    private async Task<(ConstrainedSample Sample, string? Model)> SendAsync(string kind, int round, CancellationToken cancellationToken)
    {
        var what = round == 0 ? "the warm-up request" : $"round {round}'s {kind} request";
        var start = Stopwatch.GetTimestamp();
        using var message = new HttpRequestMessage(HttpMethod.Post, ChatPath)
        {
            Content = JsonContent.Create(CreateRequest(kind, round), OpenAiJsonContext.Default.ChatCompletionRequest),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var refusal = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"{client.BaseAddress} refused {what} with HTTP {(int)response.StatusCode}: {refusal}");
        }

        long? first = null;
        long last = 0;
        var characters = 0;
        string? finishReason = null;
        string? model = null;
        Usage? usage = null;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var chunk in ChatCompletionStream.ReadAsync(body, TolerantOpenAiJson.TypeInfo<ChatCompletionChunk>(), cancellationToken).ConfigureAwait(false))
            {
                model ??= chunk.Model;
                usage = chunk.Usage ?? usage;
                foreach (var choice in chunk.Choices ?? [])
                {
                    finishReason = choice.FinishReason ?? finishReason;
                    var delta = choice.Delta;
                    var written = (delta?.Content?.Length ?? 0) + (delta?.ToolCalls?.Sum(call => (call.Function?.Name?.Length ?? 0) + (call.Function?.Arguments?.Length ?? 0)) ?? 0);
                    if (written > 0)
                    {
                        last = Stopwatch.GetTimestamp();
                        first ??= last;
                        characters += written;
                    }
                }
            }
        }
        catch (ChatCompletionStreamException exception)
        {
            throw new InvalidOperationException($"{client.BaseAddress} failed {what} part-way: {exception.Error?.Message ?? "the stream ended without [DONE]"}", exception);
        }

        if (first is not { } firstAt || usage is null)
        {
            throw new InvalidOperationException($"{client.BaseAddress} answered {what} without {(usage is null ? "usage (stream_options.include_usage)" : "any content or tool call")}.");
        }

        var decode = Stopwatch.GetElapsedTime(firstAt, last);
        var rate = usage.CompletionTokens > 1 && decode > TimeSpan.Zero ? (usage.CompletionTokens - 1) / decode.TotalSeconds : 0;
        return (new ConstrainedSample(round, usage.CompletionTokens, finishReason,
            Math.Round(Stopwatch.GetElapsedTime(start, firstAt).TotalMilliseconds, 3), Math.Round(decode.TotalMilliseconds, 3), Math.Round(rate, 2), characters), model);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
