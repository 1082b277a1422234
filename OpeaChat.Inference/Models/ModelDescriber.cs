using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Inference.Models;

/// <summary>Describes a model from its GGUF header (read once per file version) and its current state.</summary>
public sealed class ModelDescriber(ModelManager manager, IOptions<InferenceOptions> options)
{
    private readonly ConcurrentDictionary<(string Path, DateTime Modified), GgufFile?> _headers = new();

    public ModelInfo Describe(ModelFile file)
    {
        // Null: listed, but described as unreadable; loading it will say why.
        var gguf = _headers.GetOrAdd((file.Path, File.GetLastWriteTimeUtc(file.Path)), static key => GgufFile.TryRead(key.Path));

        var state = manager.StateOf(file.Id);
        var loaded = manager.Loaded().FirstOrDefault(model => model.Id == file.Id);
        var status = loaded?.Engine.Status;
        return new ModelInfo
        {
            Id = file.Id,
            Created = new DateTimeOffset(File.GetLastWriteTimeUtc(file.Path)).ToUnixTimeSeconds(),
            Architecture = gguf?.Architecture,
            Parameters = gguf?.ParameterCount ?? 0,
            Quantization = gguf is null ? "unreadable" : GgufFileTypes.Name(gguf),
            FileSize = file.SizeBytes,
            ContextLength = gguf?.GetArchitectureInteger("context_length"),
            VocabularySize = gguf?.Metadata.GetValueOrDefault("tokenizer.ggml.tokens") is GgufArray tokens ? tokens.Length : null,
            BlockCount = gguf?.GetArchitectureInteger("block_count"),
            EmbeddingLength = gguf?.GetArchitectureInteger("embedding_length"),
            ChatTemplate = gguf?.Metadata.ContainsKey("tokenizer.chat_template") ?? false,
            Status = state.Status switch
            {
                ModelStatus.Ready => "loaded",
                ModelStatus.Loading => "loading",
                ModelStatus.Failed => "failed",
                _ => "unloaded",
            },
            Loaded = loaded is not null,
            LoadProgress = state.Status == ModelStatus.Loading ? state.Progress : null,
            ActiveSequences = status?.ActiveSequences,
            QueuedRequests = status?.QueuedRequests,
            MaxParallelSequences = loaded is null ? null : options.Value.MaxParallelSequences,
            SequenceContextSize = loaded?.SequenceContextSize,
            Default = manager.Catalog.DefaultModel?.Id == file.Id,
        };
    }
}
