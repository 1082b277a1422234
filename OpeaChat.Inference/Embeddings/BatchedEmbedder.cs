using LLama;
using LLama.Common;
using LLama.Native;

namespace OpeaChat.Inference.Embeddings;

/// <summary>How an embedding context is sized: tokens per decode, sequences per decode, threads.</summary>
public sealed record EmbedderSettings(int BatchTokens, int MaxSequences, int Threads, int BatchThreads, int GpuLayerCount = 0);

/// <summary>
/// Embeds many inputs with few decodes: as many inputs as fit <see cref="EmbedderSettings.BatchTokens"/> and
/// <see cref="EmbedderSettings.MaxSequences"/> go into one <see cref="LLamaBatch"/>, each as its own sequence, and
/// each is read back pooled with <c>GetEmbeddingsSeq</c>. LLamaSharp's <see cref="LLamaEmbedder"/> makes a context per
/// input and decodes one input per call, which is what this replaces. One context, used by one call at a time.
/// </summary>
public sealed class BatchedEmbedder : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly LLamaContext _context;
    private readonly EmbedderSettings _settings;

    public BatchedEmbedder(string id, string path, LLamaWeights weights, int maxInputTokens, EmbedderSettings settings)
    {
        Id = id;
        Weights = weights;
        _settings = settings;
        Pooling = EmbeddingPooling.FromMetadata(weights);

        // A pooled sequence must sit in one micro-batch, and a whole batch in the KV cache: all three sizes agree.
        var tokens = (uint)((Math.Max(settings.BatchTokens, maxInputTokens) + 255) / 256 * 256); // llama.cpp pads n_ctx to 256
        MaxInputTokens = maxInputTokens;
        _context = weights.CreateContext(new ModelParams(path)
        {
            ContextSize = tokens,
            BatchSize = tokens,
            UBatchSize = tokens,
            SeqMax = (uint)settings.MaxSequences,
            KVUnified = true,
            Threads = settings.Threads,
            BatchThreads = settings.BatchThreads,
            GpuLayerCount = settings.GpuLayerCount,
            Embeddings = true,
            PoolingType = Pooling,
        });
        Dimensions = _context.EmbeddingSize;
    }

    /// <summary>The model's id in the API.</summary>
    public string Id { get; }

    public LLamaWeights Weights { get; }

    public LLamaPoolingType Pooling { get; }

    /// <summary>The longest input, in tokens; longer ones must be refused before <see cref="EmbedAsync"/>.</summary>
    public int MaxInputTokens { get; }

    public int Dimensions { get; }

    public IReadOnlyList<LLamaToken> Tokenize(string text) => Weights.Tokenize(text, add_bos: true, special: true, System.Text.Encoding.UTF8);

    /// <summary>
    /// The first <see cref="MaxInputTokens"/> tokens of a longer input, ending with the separator or end token the
    /// tokenizer added (BERT's [SEP]), as Text Embeddings Inference truncates; a shorter input is returned as it is.
    /// </summary>
    public IReadOnlyList<LLamaToken> Truncate(IReadOnlyList<LLamaToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count <= MaxInputTokens)
        {
            return tokens;
        }

        var vocabulary = Weights.NativeHandle.Vocab;
        var last = tokens[^1];
        var keepsLast = last == vocabulary.SEP || last == vocabulary.EOS;
        var kept = tokens.Take(keepsLast ? MaxInputTokens - 1 : MaxInputTokens).ToList();
        if (keepsLast)
        {
            kept.Add(last);
        }

        return kept;
    }

    /// <summary>
    /// L2-normalised, pooled vectors in input order. <paramref name="maxSequencesPerDecode"/> lowers the sequences
    /// packed into one decode (1: one input at a time, for comparison); null: as many as the settings allow.
    /// </summary>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<IReadOnlyList<LLamaToken>> inputs, CancellationToken cancellationToken, int? maxSequencesPerDecode = null)
    {
        var perDecode = Math.Clamp(maxSequencesPerDecode ?? _settings.MaxSequences, 1, _settings.MaxSequences);
        var capacity = (int)_context.BatchSize;
        foreach (var input in inputs)
        {
            if (input.Count == 0 || input.Count > MaxInputTokens)
            {
                throw new ArgumentException($"An input has {input.Count} tokens; 1 to {MaxInputTokens} fit.", nameof(inputs));
            }
        }

        var vectors = new float[inputs.Count][];
        var batch = new LLamaBatch();
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = 0;
            while (next < inputs.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                var first = next;
                while (next < inputs.Count && next - first < perDecode && batch.TokenCount + inputs[next].Count <= capacity)
                {
                    var sequence = (LLamaSeqId)(next - first);
                    var tokens = inputs[next];
                    for (var position = 0; position < tokens.Count; position++)
                    {
                        batch.Add(tokens[position], position, sequence, true);
                    }

                    next++;
                }

                if (next == first)
                {
                    throw new InvalidOperationException($"An input of {inputs[next].Count} tokens does not fit a batch of {capacity}.");
                }

                _context.NativeHandle.MemoryClear();
                await DecodeAsync(batch, cancellationToken).ConfigureAwait(false);
                for (var index = first; index < next; index++)
                {
                    vectors[index] = Normalise(_context.NativeHandle.GetEmbeddingsSeq((LLamaSeqId)(index - first)).ToArray());
                }
            }

            _context.NativeHandle.MemoryClear();
        }
        finally
        {
            _lock.Release();
        }

        return vectors;
    }

    private async Task DecodeAsync(LLamaBatch batch, CancellationToken cancellationToken)
    {
        var model = _context.NativeHandle.ModelHandle;
        if (model is { HasEncoder: true, HasDecoder: false })
        {
            // BERT-like encoders (bge, MiniLM, nomic) run through llama_encode.
            var encoded = await _context.EncodeAsync(batch, cancellationToken).ConfigureAwait(false);
            if (encoded != EncodeResult.Ok)
            {
                throw new InvalidOperationException($"llama.cpp could not encode the embedding batch: {encoded}.");
            }

            return;
        }

        var decoded = await _context.DecodeAsync(batch, cancellationToken).ConfigureAwait(false);
        if (decoded != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp could not decode the embedding batch: {decoded}.");
        }
    }

    private static float[] Normalise(float[] vector)
    {
        var sum = 0.0;
        foreach (var value in vector)
        {
            sum += value * value;
        }

        if (sum > 0)
        {
            var scale = (float)(1 / Math.Sqrt(sum));
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] *= scale;
            }
        }

        return vector;
    }

    public void Dispose()
    {
        _context.Dispose();
        _lock.Dispose();
    }
}
