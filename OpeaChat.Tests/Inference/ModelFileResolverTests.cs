using OpeaChat.Inference.Models;

namespace OpeaChat.Tests.Inference;

public sealed class ModelFileResolverTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("opeachat-models-");

    [Fact]
    public void An_explicit_model_path_wins()
    {
        var other = Touch("b.gguf");
        Touch("a.gguf");

        var resolution = ModelFileResolver.Resolve(new InferenceOptions { ModelPath = other, ModelsDirectory = _directory.FullName });

        Assert.Equal(other, resolution.Path);
        Assert.Null(resolution.Problem);
    }

    [Fact]
    public void Otherwise_the_first_gguf_in_the_folder_is_used()
    {
        Touch("zeta.gguf");
        var alpha = Touch("alpha.gguf");
        Touch("notes.txt");

        Assert.Equal(alpha, ModelFileResolver.Resolve(new InferenceOptions { ModelsDirectory = _directory.FullName }).Path);
    }

    [Fact]
    public void The_embedding_model_and_reranker_are_never_picked_as_the_chat_model()
    {
        Touch("all-MiniLM-L6-v2.gguf");
        var reranker = Touch("bge-reranker-v2-m3.gguf");
        var chat = Touch("qwen2.5-3b-instruct.gguf");

        var resolution = ModelFileResolver.Resolve(new InferenceOptions
        {
            ModelsDirectory = _directory.FullName,
            EmbeddingModel = "all-MiniLM-L6-v2", // by id
            RerankModel = reranker,               // by path
        });

        Assert.Equal(chat, resolution.Path);
    }

    [Fact]
    public void An_empty_folder_gives_instructions()
    {
        var resolution = ModelFileResolver.Resolve(new InferenceOptions { ModelsDirectory = _directory.FullName });

        Assert.Null(resolution.Path);
        Assert.Contains(_directory.FullName, resolution.Problem, StringComparison.Ordinal);
        Assert.Contains("OPEACHAT_MODEL", resolution.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_explicit_file_is_named()
    {
        var missing = Path.Combine(_directory.FullName, "missing.gguf");

        var resolution = ModelFileResolver.Resolve(new InferenceOptions { ModelPath = missing, ModelsDirectory = _directory.FullName });

        Assert.Null(resolution.Path);
        Assert.Contains(missing, resolution.Problem, StringComparison.Ordinal);
    }

    private string Touch(string name)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllBytes(path, [0]);
        return path;
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
