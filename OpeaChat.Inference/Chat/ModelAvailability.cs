using OpeaChat.Inference.Models;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Chat;

/// <summary>Finds the model a request asks for, or answers with the 503/404 a client can act on.</summary>
public static class ModelAvailability
{
    public static (LoadedModel? Model, OpenAiErrorResult? Error) Resolve(ModelManager models, string? requestedModel)
    {
        var id = string.IsNullOrEmpty(requestedModel) ? models.Catalog.DefaultModel?.Id : requestedModel;
        if (id is null)
        {
            return (null, OpenAiErrors.Unavailable(models.Catalog.DefaultModelProblem!, "no_model", null));
        }

        if (models.Catalog.Find(id) is not { } file)
        {
            return (null, OpenAiErrors.ModelNotFound(id));
        }

        if (models.TryGetLoaded(id) is { } loaded)
        {
            return (loaded, null);
        }

        var state = models.StateOf(id);
        switch (state.Status)
        {
            case ModelStatus.Failed:
                return (null, OpenAiErrors.Unavailable(state.Message!, "model_load_failed", null));
            case ModelStatus.NotLoaded:
                _ = models.LoadAsync(file).ContinueWith(static task => _ = task.Exception, TaskScheduler.Default);
                break;
        }

        var progress = models.StateOf(id).Progress;
        return (null, OpenAiErrors.Unavailable(
            $"The model {id} is loading ({progress:P0}). Retry in a few seconds.", "model_loading", TimeSpan.FromSeconds(2)));
    }
}
