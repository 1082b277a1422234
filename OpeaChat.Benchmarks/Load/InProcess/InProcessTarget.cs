using System.Diagnostics;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using OpeaChat.Benchmarks.Native;

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

    /// <summary>Sequence ids the service reserves for its prefix cache; only sizes the context as the service does.</summary>
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
/// LLamaSharp in the benchmark's own process: the same engine, prompt template and tokenizer as the inference service,
/// with no HTTP, JSON or second process. What the services are measured against.
/// </summary>
public sealed class InProcessTarget(string modelPath, InProcessSettings settings) : ILoadTarget
{
    private LLamaWeights? _weights;
    private InProcessEngine? _engine;

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

        _engine = new InProcessEngine(_weights, parameters, settings.MaxParallelSequences);
        var contextSize = (int)parameters.ContextSize!.Value;
        return new TargetInfo(Path.GetFileNameWithoutExtension(modelPath), new TargetSettings(
            settings.Threads, settings.EffectiveBatchThreads, contextSize, settings.MaxParallelSequences,
            contextSize / settings.MaxParallelSequences, settings.BatchSize, settings.FlashAttention));
    }

    public Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken) => Task.FromResult(Tokenize(prompt).Length);

    public async Task<RequestSample> SendAsync(string prompt, LoadWorkload workload, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new InvalidOperationException("The in-process target has not started.");
        var start = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(workload.RequestTimeout);
        var tokens = Tokenize(prompt); // on the request's thread, as the service tokenizes in its endpoint
        long? firstToken = null;
        var generated = 0;
        try
        {
            await foreach (var update in engine.Enqueue(tokens, workload.MaxTokens, workload.Sampling, ignoreEndOfGeneration: true, deadline.Token)
                .ReadAllAsync(deadline.Token).ConfigureAwait(false))
            {
                if (update.Done)
                {
                    return update.Error is { } error
                        ? RequestSample.Failed(start, Stopwatch.GetTimestamp(), error, generated)
                        : new RequestSample(start, firstToken, Stopwatch.GetTimestamp(), generated, tokens.Length, null);
                }

                firstToken ??= Stopwatch.GetTimestamp();
                generated++;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), $"timed out after {workload.RequestTimeout.TotalSeconds:F0} s", generated);
        }

        return RequestSample.Failed(start, Stopwatch.GetTimestamp(), "the engine ended the request without a result", generated);
    }

    /// <summary>The service's prompt: the model's chat template, or ChatML when it has none (OpeaChat.Inference/Engine/ChatPromptFormatter.cs).</summary>
    private LLamaToken[] Tokenize(string userMessage)
    {
        var weights = _weights ?? throw new InvalidOperationException("The in-process target has not started.");
        var template = weights.Metadata.ContainsKey("tokenizer.chat_template") ? new LLamaTemplate(weights) : new LLamaTemplate("chatml");
        template.AddAssistant = true;
        template.Add("user", userMessage);
        var text = Encoding.UTF8.GetString(template.Apply());
        return weights.Tokenize(text, add_bos: true, special: true, Encoding.UTF8);
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync().ConfigureAwait(false);
        }

        _weights?.Dispose();
    }
}
