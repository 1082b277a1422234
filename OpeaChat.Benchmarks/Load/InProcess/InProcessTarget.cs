using System.Diagnostics;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Benchmarks.Native;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Benchmarks.Load.InProcess;

/// <summary>The in-process engine's settings, named as the inference service's <c>Inference:*</c> options.</summary>
public sealed record InProcessSettings
{
    public int Threads { get; init; } = 2;

    /// <summary>0: the same as <see cref="Threads"/>.</summary>
    public int BatchThreads { get; init; }
    public int ContextSize { get; init; } = 8192;
    public int MaxParallelSequences { get; init; } = 8;
    public int BatchSize { get; init; } = 512;
    public bool FlashAttention { get; init; } = true;

    /// <summary>Finished requests the decode loop keeps in its prefix cache (<c>Inference:PrefixCacheSlots</c>).</summary>
    public int PrefixCacheSlots { get; init; } = 4;

    public int EffectiveBatchThreads => BatchThreads > 0 ? BatchThreads : Threads;

    /// <summary>The model parameters OpeaChat.Inference/Models/ModelManager.cs builds from the same options.</summary>
    public ModelParams ToModelParams(string path) => new(path)
    {
        ContextSize = ContextSize > 0 ? (uint)ContextSize : null,
        BatchSize = (uint)BatchSize,
        Threads = Threads,
        BatchThreads = EffectiveBatchThreads,
        GpuLayerCount = 0,
        SeqMax = (uint)(MaxParallelSequences + PrefixCacheSlots),
        KVUnified = true,
        FlashAttention = FlashAttention ? true : null,
    };
}

/// <summary>
/// The inference service's own engine in the benchmark's process: its <see cref="DecodeLoop"/> (continuous batching,
/// prefix cache, sampler), its <see cref="ChatPromptFormatter"/> and tokenizer, with no HTTP, JSON or second process.
/// What the services are measured against. Requests are built as the service's endpoint builds them; only the wait
/// queue is unbounded (the benchmark's users are the limit).
/// </summary>
public sealed class InProcessTarget(string modelPath, InProcessSettings settings) : ILoadTarget
{
    /// <summary>No 429s in process: every user's request waits for a sequence.</summary>
    private const int UnboundedQueue = 1_000_000;

    private ServiceProvider? _services;
    private InferenceMetrics? _metrics;
    private LLamaWeights? _weights;
    private ChatPromptFormatter? _formatter;
    private DecodeLoop? _engine;
    private int _sequenceContextSize;

    public string Kind => "inprocess";

    public string Address => modelPath;

    public string OutputTokensSource => TokenCountSources.Exact;

    public async Task<TargetInfo> StartAsync(CancellationToken cancellationToken)
    {
        LlamaNativeLog.ErrorsOnly();
        var parameters = settings.ToModelParams(modelPath);
        _weights = await LLamaWeights.LoadFromFileAsync(parameters, cancellationToken).ConfigureAwait(false);
        if (parameters.ContextSize is null)
        {
            parameters.ContextSize = (uint)_weights.ContextSize;
        }

        var contextSize = (int)parameters.ContextSize!.Value;
        var model = Path.GetFileNameWithoutExtension(modelPath);
        _sequenceContextSize = contextSize / settings.MaxParallelSequences;
        _formatter = new ChatPromptFormatter(_weights);
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new InferenceMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _engine = new DecodeLoop(model, _weights, parameters,
            new DecodeLoopSettings(settings.MaxParallelSequences, UnboundedQueue, contextSize, settings.PrefixCacheSlots), _metrics, NullLogger.Instance);
        return new TargetInfo(model, new TargetSettings(
            settings.Threads, settings.EffectiveBatchThreads, contextSize, settings.MaxParallelSequences,
            _sequenceContextSize, settings.BatchSize, settings.FlashAttention));
    }

    public Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken) => Task.FromResult(Tokenize(prompt).Length);

    public Task<RequestSample> SendAsync(string prompt, LoadWorkload workload, CancellationToken cancellationToken) =>
        RunAsync(prompt, workload, text: null, cancellationToken);

    /// <summary>Sends one request as <see cref="SendAsync"/> does and keeps its text (to compare the engine with the service).</summary>
    public async Task<(RequestSample Sample, string Text)> GenerateAsync(string prompt, LoadWorkload workload, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var sample = await RunAsync(prompt, workload, text, cancellationToken).ConfigureAwait(false);
        return (sample, text.ToString());
    }

    private async Task<RequestSample> RunAsync(string prompt, LoadWorkload workload, StringBuilder? text, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new InvalidOperationException("The in-process target has not started.");
        var start = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(workload.RequestTimeout);
        var tokens = Tokenize(prompt); // on the request's thread, as the service tokenizes in its endpoint
        if (CreateRequest(tokens, workload, deadline.Token) is not { } request)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(),
                $"the prompt has {tokens.Length} tokens; one request may use at most {_sequenceContextSize} tokens of context");
        }

        if (!engine.TryEnqueue(request, out var updates))
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), "the decode loop refused the request (stopped)");
        }

        long? firstToken = null;
        var pieces = 0;
        try
        {
            await foreach (var update in updates.ReadAllAsync(deadline.Token).ConfigureAwait(false))
            {
                if (update.Result is { } result)
                {
                    var end = Stopwatch.GetTimestamp();
                    return result.Error is { } error || result.FinishReason is GenerationResult.Cancelled or GenerationResult.Failed
                        ? RequestSample.Failed(start, end, result.Error ?? result.FinishReason, result.CompletionTokens)
                        : new RequestSample(start, firstToken, end, result.CompletionTokens, tokens.Length, null);
                }

                if (!string.IsNullOrEmpty(update.Text))
                {
                    // As over HTTP: the first token is the first text sent (the stop matcher may hold a piece back).
                    firstToken ??= Stopwatch.GetTimestamp();
                    pieces++;
                    text?.Append(update.Text);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), $"timed out after {workload.RequestTimeout.TotalSeconds:F0} s", pieces);
        }

        return RequestSample.Failed(start, Stopwatch.GetTimestamp(), "the engine ended the request without a result", pieces);
    }

    /// <summary>
    /// The request the service's endpoint makes of the same fields (OpeaChat.Inference/Chat/GenerationRequestFactory.cs):
    /// the sequence's context budget, the template's stop sequences, the service's defaults for the fields the
    /// benchmark does not send; null when the prompt does not fit.
    /// </summary>
    private GenerationRequest? CreateRequest(LLamaToken[] tokens, LoadWorkload workload, CancellationToken cancellationToken)
    {
        if (tokens.Length >= _sequenceContextSize || tokens.Length == 0)
        {
            return null;
        }

        var sampling = workload.Sampling;
        return new GenerationRequest
        {
            PromptTokens = tokens,
            MaxTokens = Math.Min(workload.MaxTokens, _sequenceContextSize - tokens.Length),
            StopSequences = _formatter!.TemplateStops,
            CachePrompt = workload.CachePrompt != false,
            CancellationToken = cancellationToken,
            Sampling = new SamplingSettings
            {
                Temperature = sampling.Temperature,
                TopP = sampling.TopP,
                TopK = sampling.TopK,
                RepeatPenalty = sampling.RepeatPenalty,
                Seed = unchecked((uint)sampling.Seed),
                IgnoreEndOfGeneration = true, // every request asks for exactly MaxTokens (ignore_eos over HTTP)
            },
        };
    }

    /// <summary>The service's prompt and tokens: its formatter (the model's chat template, or ChatML) and tokenizer call.</summary>
    private LLamaToken[] Tokenize(string userMessage)
    {
        var weights = _weights ?? throw new InvalidOperationException("The in-process target has not started.");
        var text = _formatter!.Format([("user", userMessage)]);
        return weights.Tokenize(text, add_bos: true, special: true, Encoding.UTF8);
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync().ConfigureAwait(false);
        }

        _weights?.Dispose();
        _metrics?.Dispose();
        if (_services is not null)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }
    }
}
