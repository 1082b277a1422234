using LLama;
using LLama.Common;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference.Models;

/// <summary>A model in memory with its decode loop: everything a request needs to generate text.</summary>
public sealed class LoadedModel : IAsyncDisposable
{
    private readonly SemaphoreSlim _embeddingLock = new(1, 1);
    private readonly int _threads;
    private LLamaEmbedder? _embedder;

    public LoadedModel(ModelFile file, LLamaWeights weights, ModelParams parameters, InferenceOptions options, InferenceMetrics metrics, ILogger logger)
    {
        File = file;
        Weights = weights;
        ContextSize = (int)(parameters.ContextSize ?? (uint)weights.ContextSize);
        SequenceContextSize = ContextSize / options.MaxParallelSequences;
        Formatter = new ChatPromptFormatter(weights);
        _threads = options.EffectiveThreads;
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
    /// Embeds each text with mean pooling (vectors are L2-normalised). The embedding context is made on first use and
    /// used by one request at a time; llama.cpp serialises its decodes with generation anyway.
    /// </summary>
    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        await _embeddingLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _embedder ??= new LLamaEmbedder(Weights, new ModelParams(File.Path)
            {
                ContextSize = (uint)SequenceContextSize,
                BatchSize = (uint)SequenceContextSize,
                UBatchSize = (uint)SequenceContextSize, // a pooled sequence must fit one micro-batch
                Threads = _threads,
                BatchThreads = _threads,
                Embeddings = true,
                PoolingType = LLama.Native.LLamaPoolingType.Mean,
            });

            var vectors = new List<float[]>(inputs.Count);
            foreach (var input in inputs)
            {
                var embeddings = await _embedder.GetEmbeddings(input, cancellationToken).ConfigureAwait(false);
                vectors.Add(embeddings[0]);
            }

            return vectors;
        }
        finally
        {
            _embeddingLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        _embedder?.Dispose();
        _embeddingLock.Dispose();
        Weights.Dispose();
    }
}
