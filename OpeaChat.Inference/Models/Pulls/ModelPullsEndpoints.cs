using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Reranking;
using OpeaChat.ServiceDefaults.OpenAi;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.Inference.Models.Pulls;

public static class ModelPullsEndpoints
{
    public const string NdjsonMediaType = "application/x-ndjson";

    public static IEndpointRouteBuilder MapModelPullsEndpoints(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v1/models").WithTags("Models");
        models.MapPost("/pull", PullAsync)
            .WithName("PullModel")
            .WithSummary("Pulls a GGUF from Hugging Face (hf.co/org/repo:quant); answers its progress as SSE, NDJSON or, with stream:false, one JSON.");
        models.MapGet("/pulls", ListPulls)
            .WithName("ListModelPulls")
            .WithSummary("Pulls running now and those ended in the last minutes.");
        models.MapDelete("/pulls/{id}", CancelPullAsync)
            .WithName("CancelModelPull")
            .WithSummary("Cancels a running pull; its partial files are deleted.");
        models.MapGet("/recommended", Recommended)
            .WithName("ListRecommendedModels");
        models.MapDelete("/{id}", DeleteModelAsync)
            .WithName("DeleteModel")
            .WithSummary("Deletes a model's file(s) from the models folder; ?force=true unloads it first when it is loaded or the default.");
        return app;
    }

    private static async Task<IResult> PullAsync(HttpContext httpContext, ModelPullManager pulls, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
    {
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, ModelPullJsonContext.Default.ModelPullRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        if (!ModelReference.TryParse(request!.Model, out var reference, out var problem))
        {
            return OpenAiErrors.InvalidRequest(problem, "model");
        }

        ModelPull pull;
        try
        {
            pull = await pulls.StartAsync(reference, cancellationToken);
        }
        catch (ModelPullException exception)
        {
            return exception.ToResult();
        }

        if (request.Stream == false)
        {
            // The client waits; if it leaves, the pull goes on.
            var final = await pull.Completion.WaitAsync(cancellationToken);
            return TypedResults.Json(final, ModelPullJsonContext.Default.ModelPullStatus, statusCode: StatusOf(final));
        }

        var events = pull.FollowAsync(cancellationToken);
        return httpContext.Request.Headers.Accept.ToString().Contains(NdjsonMediaType, StringComparison.OrdinalIgnoreCase)
            ? new NdjsonResult(events)
            : EventStream.Of(AsEvents(events, cancellationToken));
    }

    private static int StatusOf(ModelPullStatus status) => status.Stage switch
    {
        ModelPullStages.Ready => StatusCodes.Status200OK,
        ModelPullStages.Cancelled => StatusCodes.Status409Conflict,
        _ => ModelPullException.StatusFor(status.Error?.Code ?? ModelPullException.HubError),
    };

    private static async IAsyncEnumerable<SseItem<string>> AsEvents(IAsyncEnumerable<ModelPullStatus> statuses, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var status in statuses.WithCancellation(cancellationToken))
        {
            yield return EventStream.Data(JsonSerializer.Serialize(status, ModelPullJsonContext.Default.ModelPullStatus));
        }
    }

    private static JsonHttpResult<ModelPullList> ListPulls(ModelPullManager pulls) =>
        TypedResults.Json(new ModelPullList { Data = [.. pulls.List().Select(pull => pull.Current)] }, ModelPullJsonContext.Default.ModelPullList);

    private static async Task<Results<JsonHttpResult<ModelPullStatus>, OpenAiErrorResult>> CancelPullAsync(string id, ModelPullManager pulls, CancellationToken cancellationToken)
    {
        var pull = pulls.List().FirstOrDefault(candidate => candidate.Id == id);
        if (pull is null || !pulls.Cancel(id))
        {
            return new OpenAiErrorResult(StatusCodes.Status404NotFound, new ErrorBody
            {
                Message = $"No pull of '{id}' is running. GET /v1/models/pulls lists the pulls.",
                Type = "invalid_request_error",
                Param = "id",
                Code = "pull_not_found",
            });
        }

        // Answered when it has stopped and its partial files are gone, so the caller sees the end state.
        var final = await pull.Completion.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return TypedResults.Json(final, ModelPullJsonContext.Default.ModelPullStatus);
    }

    private static JsonHttpResult<RecommendedModelList> Recommended(IOptions<InferenceOptions> options) =>
        TypedResults.Json(new RecommendedModelList
        {
            Data = [.. options.Value.RecommendedModels.Select(model => new RecommendedModel
            {
                Model = model.Model,
                Name = model.Name,
                Description = model.Description,
                Purpose = model.Purpose,
                SizeBytes = model.SizeBytes,
                MemoryBytes = model.MemoryBytes,
                License = model.License,
                LicenseUrl = model.LicenseUrl,
            })],
        }, ModelPullJsonContext.Default.RecommendedModelList);

    private static async Task<Results<JsonHttpResult<ModelDeleted>, OpenAiErrorResult>> DeleteModelAsync(
        string id, bool? force, ModelManager manager, ModelPullManager pulls, EmbeddingService embeddings, RerankService rerank)
    {
        if (pulls.IsPulling(id))
        {
            return Conflict($"The model {id} is being pulled: cancel the pull with DELETE /v1/models/pulls/{id}.", "model_pulling");
        }

        if (manager.Catalog.Find(id) is not { } file)
        {
            return OpenAiErrors.ModelNotFound(id);
        }

        var folder = Path.GetFullPath(manager.Catalog.ModelsDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (!string.Equals(Path.GetDirectoryName(file.Path), folder, StringComparison.Ordinal))
        {
            return Conflict($"The model {id} is the file {file.Path}, named by Inference:ModelPath (OPEACHAT_MODEL) outside the models folder: " +
                "this server deletes only files in its models folder. Change the setting instead.", "model_configured");
        }

        if (embeddings.Dedicated.File?.Path == file.Path || rerank.Model.File?.Path == file.Path)
        {
            return Conflict($"The model {id} is the embedding model or reranker (Inference:EmbeddingModel, Inference:RerankModel): " +
                "change the setting and restart before deleting it.", "model_in_use");
        }

        var state = manager.StateOf(id).Status;
        var inUse = state is ModelStatus.Ready or ModelStatus.Loading;
        var isDefault = manager.Catalog.DefaultModel?.Id == id;
        if ((inUse || isDefault) && force != true)
        {
            var why = inUse && isDefault ? "loaded and the default model" : inUse ? "loaded" : "the default model";
            return Conflict($"The model {id} is {why}: deleting it would stop the chats that use it. " +
                $"Add ?force=true (DELETE /v1/models/{id}?force=true) to unload and delete it.", "model_in_use");
        }

        if (inUse)
        {
            await manager.UnloadAsync(id);
        }

        var removed = new List<string>();
        foreach (var name in GgufParts.AllParts(file.Path))
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path))
            {
                File.Delete(path);
                removed.Add(name);
            }

            if (File.Exists(path + ".part"))
            {
                File.Delete(path + ".part");
            }
        }

        manager.Catalog.Forget(id);
        return TypedResults.Json(new ModelDeleted { Id = id, Files = removed }, ModelPullJsonContext.Default.ModelDeleted);
    }

    private static OpenAiErrorResult Conflict(string message, string code) =>
        new(StatusCodes.Status409Conflict, new ErrorBody { Message = message, Type = "invalid_request_error", Param = "id", Code = code });

    /// <summary>One JSON object a line (<c>application/x-ndjson</c>), each flushed as it comes, as Ollama streams its pulls.</summary>
    private sealed class NdjsonResult(IAsyncEnumerable<ModelPullStatus> statuses) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = NdjsonMediaType + "; charset=utf-8";
            response.Headers["X-Accel-Buffering"] = "no";
            response.Headers.CacheControl = "no-cache";
            try
            {
                await foreach (var status in statuses.WithCancellation(httpContext.RequestAborted))
                {
                    await JsonSerializer.SerializeAsync(response.Body, status, ModelPullJsonContext.Default.ModelPullStatus, httpContext.RequestAborted);
                    await response.Body.WriteAsync("\n"u8.ToArray(), httpContext.RequestAborted);
                    await response.Body.FlushAsync(httpContext.RequestAborted);
                }
            }
            catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
            {
                // The client left; the pull goes on.
            }
        }
    }
}
