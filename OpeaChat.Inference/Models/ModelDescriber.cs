using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Reranking;

namespace OpeaChat.Inference.Models;

/// <summary>Describes a model from its GGUF header (read once per file version) and its current state.</summary>
public sealed class ModelDescriber(ModelManager manager, EmbeddingService embeddings, RerankService rerank, IOptions<InferenceOptions> options)
{
    private readonly ConcurrentDictionary<(string Path, DateTime Modified), GgufFile?> _headers = new();

    /// <summary>Every model: the catalog's, then the embedding model and reranker where they live outside the models folder.</summary>
    public ModelList List()
    {
        var files = manager.Catalog.List().ToList();
        foreach (var auxiliary in new[] { embeddings.Dedicated.File, rerank.Model.File })
        {
            if (auxiliary is not null && !files.Any(file => file.Path == auxiliary.Path))
            {
                files.Add(auxiliary);
            }
        }

        var warnings = new[] { embeddings.Warning, rerank.Model.Problem }.OfType<string>().ToArray();
        return new ModelList(files.Select(Describe).ToArray())
        {
            EmbeddingModel = embeddings.DefaultModelId,
            RerankModel = rerank.Model.File?.Id,
            Warnings = warnings.Length == 0 ? null : warnings,
        };
    }

    /// <summary>A model the list holds (<see cref="List"/>), by id.</summary>
    public ModelFile? Find(string id) => manager.Catalog.Find(id)
        ?? new[] { embeddings.Dedicated.File, rerank.Model.File }.FirstOrDefault(file => file?.Id == id);

    public ModelInfo Describe(ModelFile file)
    {
        // Null: listed, but described as unreadable; loading it will say why.
        var gguf = _headers.GetOrAdd((file.Path, File.GetLastWriteTimeUtc(file.Path)), static key => GgufFile.TryRead(key.Path));

        var state = manager.StateOf(file.Id);
        var loaded = manager.Loaded().FirstOrDefault(model => model.Id == file.Id);
        var isChatDefault = manager.Catalog.DefaultModel?.Path == file.Path;
        var servesEmbeddings = embeddings.DefaultModelId == file.Id;
        var isEmbedder = embeddings.Dedicated.File?.Path == file.Path && !isChatDefault;
        var isReranker = rerank.Model.File?.Path == file.Path;
        var serves = new List<string>();
        if (isChatDefault)
        {
            serves.Add("chat");
        }

        if (servesEmbeddings)
        {
            serves.Add("embeddings");
        }

        if (isReranker)
        {
            serves.Add("rerank");
        }

        var auxiliaryLoaded = (isEmbedder && embeddings.Dedicated.Loaded) || (isReranker && rerank.Model.Loaded);
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
            ToolFormat = loaded?.Formatter.ToolFormat.Name,
            Status = auxiliaryLoaded ? "loaded" : state.Status switch
            {
                ModelStatus.Ready => "loaded",
                ModelStatus.Loading => "loading",
                ModelStatus.Failed => "failed",
                _ => "unloaded",
            },
            Loaded = loaded is not null || auxiliaryLoaded,
            LoadProgress = state.Status == ModelStatus.Loading ? state.Progress : null,
            ActiveSequences = status?.ActiveSequences,
            QueuedRequests = status?.QueuedRequests,
            MaxParallelSequences = loaded is null ? null : options.Value.MaxParallelSequences,
            SequenceContextSize = loaded?.SequenceContextSize,
            Default = manager.Catalog.DefaultModel?.Id == file.Id,
            Serves = serves,
            Warning = isChatDefault && servesEmbeddings && !embeddings.Dedicated.Configured ? EmbeddingService.NoEmbeddingModelWarning : null,
        };
    }
}
