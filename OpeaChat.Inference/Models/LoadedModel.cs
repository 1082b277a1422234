using LLama;
using LLama.Common;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Models;

/// <summary>A model in memory with its decode loop: everything a request needs to generate text.</summary>
public sealed class LoadedModel : IAsyncDisposable
{
    private readonly Lock _embedderLock = new();
    private readonly InferenceOptions _options;
    private BatchedEmbedder? _embedder;

    public LoadedModel(ModelFile file, LLamaWeights weights, ModelParams parameters, InferenceOptions options, InferenceMetrics metrics, ILogger logger)
    {
        File = file;
        Weights = weights;
        ContextSize = (int)(parameters.ContextSize ?? (uint)weights.ContextSize);
        SequenceContextSize = ContextSize / options.MaxParallelSequences;
        Formatter = new ChatPromptFormatter(weights);
        _options = options;
        Engine = new DecodeLoop(file.Id, weights, parameters,
            new DecodeLoopSettings(options.MaxParallelSequences, options.MaxQueueLength, ContextSize, options.PrefixCacheSlots), metrics, logger);
    }

    public ModelFile File { get; }

    /// <summary>The model's name in the API: its file name without the extension.</summary>
    public string Id => File.Id;

    public LLamaWeights Weights { get; }

    /// <summary>Total KV-cache size in tokens, shared by the parallel sequences.</summary>
    public int ContextSize { get; }

    /// <summary>Tokens one request may use, prompt and reply together.</summary>
    public int SequenceContextSize { get; }

    public ChatPromptFormatter Formatter { get; }

    public DecodeLoop Engine { get; }

    public IReadOnlyList<LLama.Native.LLamaToken> Tokenize(string text, bool addBos = true) =>
        Weights.Tokenize(text, add_bos: addBos, special: true, System.Text.Encoding.UTF8);

    /// <summary>
    /// This model's embedding context, made on first use (most chat deployments never embed with the chat model).
    /// Inputs may be as long as one request's share of the KV cache, as before batching.
    /// </summary>
    public BatchedEmbedder Embedder
    {
        get
        {
            lock (_embedderLock)
            {
                return _embedder ??= new BatchedEmbedder(Id, File.Path, Weights, SequenceContextSize - 1,
                    new EmbedderSettings(_options.EmbeddingBatchSize, _options.EmbeddingMaxSequences, _options.EffectiveThreads, _options.EffectiveBatchThreads,
                        _options.GpuLayerCount < 0 ? int.MaxValue : _options.GpuLayerCount));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        _embedder?.Dispose();
        Weights.Dispose();
    }
}
