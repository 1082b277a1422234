using OpeaChat.Inference.Models;

namespace OpeaChat.Inference.Chat;

/// <summary>Answers "can this request be served now?" with the 503/404 a client can act on.</summary>
public static class ModelAvailability
{
    public static OpenAiErrorResult? Check(ModelHost host, string? requestedModel)
    {
        var state = host.State;
        switch (state.Status)
        {
            case ModelStatus.Ready:
                break;
            case ModelStatus.Loading:
                return OpenAiErrors.Unavailable(
                    $"The model {state.ModelId} is loading ({state.Progress:P0}). Retry in a few seconds.", "model_loading", TimeSpan.FromSeconds(5));
            case ModelStatus.NoModel:
                return OpenAiErrors.Unavailable(state.Message!, "no_model", null);
            default:
                return OpenAiErrors.Unavailable(state.Message!, "model_load_failed", null);
        }

        if (!string.IsNullOrEmpty(requestedModel) && !string.Equals(requestedModel, state.ModelId, StringComparison.Ordinal))
        {
            return OpenAiErrors.ModelNotFound(requestedModel);
        }

        return null;
    }
}
