using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using OpeaChat.Inference.Chat;
using OpeaChat.OpenAi;

namespace OpeaChat.Inference.Models;

public static class ModelsEndpoints
{
    public static IEndpointRouteBuilder MapModelsEndpoints(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v1/models").WithTags("Models");
        models.MapGet("/", ListModels)
            .WithName("ListModels")
            .WithSummary("Every GGUF model this server can serve, with its metadata and whether it is loaded.");
        models.MapGet("/{id}", GetModel)
            .WithName("GetModel");
        models.MapPost("/{id}/load", LoadModelAsync)
            .WithName("LoadModel")
            .WithSummary("Loads a model (unloading the least recently used beyond Inference:MaxLoadedModels).");
        models.MapPost("/{id}/unload", UnloadModelAsync)
            .WithName("UnloadModel");
        return app;
    }

    private static JsonHttpResult<ModelList> ListModels(ModelManager manager, ModelDescriber describer) =>
        TypedResults.Json(new ModelList(manager.Catalog.List().Select(describer.Describe).ToArray()), ModelsJsonContext.Default.ModelList);

    private static IResult GetModel(string id, ModelManager manager, ModelDescriber describer) =>
        manager.Catalog.Find(id) is { } file ? Describe(describer, file) : OpenAiErrors.ModelNotFound(id);

    private static JsonHttpResult<ModelInfo> Describe(ModelDescriber describer, ModelFile file) =>
        TypedResults.Json(describer.Describe(file), ModelsJsonContext.Default.ModelInfo);

    private static async Task<IResult> LoadModelAsync(string id, ModelManager manager, ModelDescriber describer, CancellationToken cancellationToken)
    {
        if (manager.Catalog.Find(id) is not { } file)
        {
            return OpenAiErrors.ModelNotFound(id);
        }

        try
        {
            await manager.LoadAsync(file).WaitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return OpenAiErrors.Unavailable(manager.StateOf(id).Message ?? exception.Message, "model_load_failed", null);
        }

        return Describe(describer, file);
    }

    private static async Task<IResult> UnloadModelAsync(string id, ModelManager manager, ModelDescriber describer)
    {
        if (manager.Catalog.Find(id) is not { } file)
        {
            return OpenAiErrors.ModelNotFound(id);
        }

        await manager.UnloadAsync(id);
        return Describe(describer, file);
    }
}

/// <summary>OpenAI's model list; each entry adds what llama-server users look for (architecture, size, context, state).</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Data)
{
    public string Object => "list";
}

public sealed record ModelInfo
{
    public required string Id { get; init; }
    public string Object => "model";
    public required long Created { get; init; }
    public string OwnedBy => "opeachat";
    public string? Architecture { get; init; }
    public long Parameters { get; init; }
    public required string Quantization { get; init; }
    public long FileSize { get; init; }
    public long? ContextLength { get; init; }
    public long? VocabularySize { get; init; }
    public long? BlockCount { get; init; }
    public long? EmbeddingLength { get; init; }
    public bool ChatTemplate { get; init; }
    public required string Status { get; init; }
    public bool Loaded { get; init; }
    public double? LoadProgress { get; init; }
    public int? ActiveSequences { get; init; }
    public int? QueuedRequests { get; init; }
    public int? MaxParallelSequences { get; init; }
    public int? SequenceContextSize { get; init; }
    public bool Default { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelInfo))]
public sealed partial class ModelsJsonContext : JsonSerializerContext;
