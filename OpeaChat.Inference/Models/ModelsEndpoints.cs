using Microsoft.AspNetCore.Http.HttpResults;
using OpeaChat.Inference.Chat;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

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

    private static JsonHttpResult<ModelList> ListModels(ModelDescriber describer) =>
        TypedResults.Json(describer.List(), OpenAiJsonContext.Default.ModelList);

    private static Results<JsonHttpResult<ModelInfo>, OpenAiErrorResult> GetModel(string id, ModelDescriber describer) =>
        describer.Find(id) is { } file ? Describe(describer, file) : OpenAiErrors.ModelNotFound(id);

    private static JsonHttpResult<ModelInfo> Describe(ModelDescriber describer, ModelFile file) =>
        TypedResults.Json(describer.Describe(file), OpenAiJsonContext.Default.ModelInfo);

    private static async Task<Results<JsonHttpResult<ModelInfo>, OpenAiErrorResult>> LoadModelAsync(string id, ModelManager manager, ModelDescriber describer, CancellationToken cancellationToken)
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

    private static async Task<Results<JsonHttpResult<ModelInfo>, OpenAiErrorResult>> UnloadModelAsync(string id, ModelManager manager, ModelDescriber describer)
    {
        if (manager.Catalog.Find(id) is not { } file)
        {
            return OpenAiErrors.ModelNotFound(id);
        }

        await manager.UnloadAsync(id);
        return Describe(describer, file);
    }
}
