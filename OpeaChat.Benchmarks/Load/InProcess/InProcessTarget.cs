using System.Diagnostics;
using System.Text;
using LLama.Native;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Benchmarks.Native;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Models;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Benchmarks.Load.InProcess;

/// <summary>
/// The inference service's own engine in the benchmark's process: its <see cref="DecodeLoop"/> (continuous batching,
/// prefix cache, sampler), its <see cref="ChatPromptFormatter"/> and tokenizer, with no HTTP, JSON or second process.
/// What the services are measured against. Requests are built as the service's endpoint builds them; only the wait
/// queue is unbounded (the benchmark's users are the limit).
/// </summary>
public sealed class InProcessTarget(string modelPath, InProcessSettings settings) : ILoadTarget
{
    private ServiceProvider? _services;
    private InferenceMetrics? _metrics;
    private LoadedModel? _model;

    public string Kind => "inprocess";

    public string Address => modelPath;

    public string OutputTokensSource => TokenCountSources.Exact;

    public async Task<TargetInfo> StartAsync(CancellationToken cancellationToken)
    {
        LlamaNativeLog.ErrorsOnly();
        var options = settings.ToInferenceOptions();
        var parameters = ModelParameters.Create(modelPath, options);
        var weights = await ModelLoader.LoadWeightsAsync(parameters, progress: null, cancellationToken).ConfigureAwait(false);
        try
        {
            _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            _metrics = new InferenceMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
            // The service's LoadedModel: its formatter, tokenizer and decode loop, made as the service makes them.
            _model = new LoadedModel(ModelFile.FromPath(modelPath), weights, parameters, options, _metrics, NullLogger.Instance);
        }
        catch
        {
            weights.Dispose();
            throw;
        }

        return new TargetInfo(_model.Id, new TargetSettings(
            settings.Threads, settings.EffectiveBatchThreads, _model.ContextSize, settings.MaxParallelSequences,
            _model.SequenceContextSize, settings.BatchSize, settings.FlashAttention));
    }

    public Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken) => Task.FromResult(Tokenize(prompt).Count);

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
        var engine = (_model ?? throw new InvalidOperationException("The in-process target has not started.")).Engine;
        var start = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(workload.RequestTimeout);
        var tokens = Tokenize(prompt); // on the request's thread, as the service tokenizes in its endpoint
        if (CreateRequest(tokens, workload, deadline.Token) is not { } request)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(),
                $"the prompt has {tokens.Count} tokens; one request may use at most {_model.SequenceContextSize} tokens of context");
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
                        : new RequestSample(start, firstToken, end, result.CompletionTokens, tokens.Count, null);
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
    private GenerationRequest? CreateRequest(IReadOnlyList<LLamaToken> tokens, LoadWorkload workload, CancellationToken cancellationToken)
    {
        var sequenceContextSize = _model!.SequenceContextSize;
        if (tokens.Count >= sequenceContextSize || tokens.Count == 0)
        {
            return null;
        }

        var sampling = workload.Sampling;
        return new GenerationRequest
        {
            PromptTokens = tokens,
            MaxTokens = Math.Min(workload.MaxTokens, sequenceContextSize - tokens.Count),
            StopSequences = _model.Formatter.TemplateStops,
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
    private IReadOnlyList<LLamaToken> Tokenize(string userMessage)
    {
        var model = _model ?? throw new InvalidOperationException("The in-process target has not started.");
        return model.Tokenize(model.Formatter.Format([("user", userMessage)]));
    }

    public async ValueTask DisposeAsync()
    {
        if (_model is not null)
        {
            await _model.DisposeAsync().ConfigureAwait(false);
        }

        _metrics?.Dispose();
        if (_services is not null)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }
    }
}
