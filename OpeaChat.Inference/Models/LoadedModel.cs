using LLama;
using LLama.Common;
using OpeaChat.Inference.Engine;

namespace OpeaChat.Inference.Models;

/// <summary>A model in memory with its decode loop: everything a request needs to generate text.</summary>
public sealed class LoadedModel : IAsyncDisposable
{
    public LoadedModel(string id, string filePath, LLamaWeights weights, ModelParams parameters, InferenceOptions options, ILogger logger)
    {
        Id = id;
        FilePath = filePath;
        Weights = weights;
        ContextSize = (int)(parameters.ContextSize ?? (uint)weights.ContextSize);
        SequenceContextSize = ContextSize / options.MaxParallelSequences;
        Formatter = new ChatPromptFormatter(weights);
        Engine = new DecodeLoop(weights, parameters, options.MaxParallelSequences, options.MaxQueueLength, logger);
    }

    /// <summary>The model's name in the API: its file name without the extension.</summary>
    public string Id { get; }

    public string FilePath { get; }

    public LLamaWeights Weights { get; }

    /// <summary>Total KV-cache size in tokens, split evenly across the parallel sequences.</summary>
    public int ContextSize { get; }

    /// <summary>Tokens one request may use, prompt and reply together.</summary>
    public int SequenceContextSize { get; }

    public ChatPromptFormatter Formatter { get; }

    public DecodeLoop Engine { get; }

    public IReadOnlyList<LLama.Native.LLamaToken> Tokenize(string text) =>
        Weights.Tokenize(text, add_bos: true, special: true, System.Text.Encoding.UTF8);

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        Weights.Dispose();
    }
}
