using System.Diagnostics;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// OPEA's "generate" node as a span of the retrieval graph's activity source (beside retrieve, rerank and prompt),
/// around one call to the model: a whole answer, or a stream from its request until it ends, fails or is stopped. The
/// HTTP call to inference is its child. Tags follow OpenTelemetry's gen_ai conventions where they have a name.
/// </summary>
internal static class GenerateSpan
{
    public const string Name = "generate";

    public static Activity? Start(ChatCompletionRequest request, bool stream)
    {
        var activity = RetrievalTelemetry.Start(Name);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("gen_ai.operation.name", "chat");
        activity.SetTag("gen_ai.request.model", request.Model);
        activity.SetTag("gen_ai.request.max_tokens", request.MaxCompletionTokens ?? request.MaxTokens);
        activity.SetTag("stream", stream);
        return activity;
    }

    /// <summary>What the model answered with; <paramref name="outcome"/> is complete, stopped (the client left) or cached.</summary>
    public static void Ended(Activity? activity, string outcome, string? model, Usage? usage, string? finishReason)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("outcome", outcome);
        activity.SetTag("gen_ai.response.model", model);
        if (usage is not null)
        {
            activity.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
            activity.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        }

        if (finishReason is not null)
        {
            activity.SetTag("gen_ai.response.finish_reasons", new[] { finishReason });
        }

        activity.Stop();
    }

    public static void Failed(Activity? activity, Exception exception, string? model, Usage? usage)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag("error.type", exception is InferenceException { Code: { } code } ? code : exception.GetType().FullName);
        if (exception is InferenceException inference)
        {
            activity.SetTag("http.response.status_code", (int)inference.StatusCode);
        }

        Ended(activity, "failed", model, usage, null);
    }
}
