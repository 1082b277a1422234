using Microsoft.Extensions.Options;

namespace OpeaChat.Inference.Models;

/// <summary>
/// The models this server may load: every <c>*.gguf</c> directly in the models folder, plus the configured model file
/// wherever it is. A request names a model by id only, so no name can reach outside the folder; links in the folder
/// that point outside it are left out.
/// </summary>
public sealed class ModelCatalog
{
    private readonly InferenceOptions _options;
    private readonly Lock _defaultLock = new();
    private ModelFile? _defaultModel;
    private string? _defaultModelProblem;

    public ModelCatalog(IOptions<InferenceOptions> options)
    {
        _options = options.Value;
        var resolution = ModelFileResolver.Resolve(_options);
        ModelsDirectory = ModelFileResolver.LocateRelative(_options.ModelsDirectory, Directory.Exists);
        _defaultModel = resolution.Path is { } path ? ModelFile.FromPath(path) : null;
        _defaultModelProblem = resolution.Problem;
    }

    public string ModelsDirectory { get; }

    /// <summary>The model loaded at start and used when a request names none; a pull sets it on a server that had none.</summary>
    public ModelFile? DefaultModel => Volatile.Read(ref _defaultModel);

    /// <summary>What the user must do when there is no default model (read only while <see cref="DefaultModel"/> is null).</summary>
    public string? DefaultModelProblem => Volatile.Read(ref _defaultModelProblem);

    /// <summary>Makes a model the default when there is none (the first pulled chat model); false when there is one.</summary>
    public bool TrySetDefault(ModelFile file)
    {
        lock (_defaultLock)
        {
            if (_defaultModel is not null)
            {
                return false;
            }

            Volatile.Write(ref _defaultModel, file);
            return true;
        }
    }

    /// <summary>A model's file was removed: when it was the default, the default is chosen again as at start (or none).</summary>
    public void Forget(string id)
    {
        lock (_defaultLock)
        {
            if (_defaultModel?.Id != id)
            {
                return;
            }

            var resolution = ModelFileResolver.Resolve(_options);
            Volatile.Write(ref _defaultModel, resolution.Path is { } path && File.Exists(path) ? ModelFile.FromPath(path) : null);
            Volatile.Write(ref _defaultModelProblem, resolution.Problem ?? ModelFileResolver.NoModelMessage(ModelsDirectory));
        }
    }

    public IReadOnlyList<ModelFile> List()
    {
        var models = new List<ModelFile>();
        if (DefaultModel is { } defaultModel && File.Exists(defaultModel.Path))
        {
            models.Add(defaultModel);
        }

        if (Directory.Exists(ModelsDirectory))
        {
            foreach (var path in ModelFileResolver.ListModelFiles(ModelsDirectory))
            {
                var file = ModelFile.FromPath(path);
                if (!models.Any(model => model.Id == file.Id))
                {
                    models.Add(file);
                }
            }
        }

        return models;
    }

    public ModelFile? Find(string id) => List().FirstOrDefault(model => string.Equals(model.Id, id, StringComparison.Ordinal));

    /// <summary>
    /// The file a setting such as <c>Inference:EmbeddingModel</c> names: a model id from the models folder, or a GGUF
    /// path (relative ones as <see cref="ModelFileResolver.LocateRelative"/> tries them); null when it names neither.
    /// </summary>
    public ModelFile? FindByIdOrPath(string value)
    {
        if (Find(value) is { } file)
        {
            return file;
        }

        var path = ModelFileResolver.LocateRelative(value, File.Exists);
        return File.Exists(path) ? ModelFile.FromPath(path) : null;
    }
}
