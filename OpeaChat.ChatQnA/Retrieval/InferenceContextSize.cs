using System.Text.Json;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// How many tokens one request may use on inference (its <c>/v1/models</c> <c>sequence_context_size</c>, else the
/// model's context length), asked at most every half minute.
/// </summary>
public sealed class InferenceContextSize(InferenceClient inference, InferenceContextSize.ModelListCache cache, TimeProvider time)
{
    private static readonly TimeSpan s_refresh = TimeSpan.FromSeconds(30);

    public async Task<int?> GetAsync(string? model, CancellationToken cancellationToken)
    {
        var models = await GetModelsAsync(cancellationToken);
        var info = models?.Data.FirstOrDefault(entry => model is not null ? entry.Id == model : entry.Default) ?? models?.Data.FirstOrDefault();
        return info?.SequenceContextSize ?? (int?)info?.ContextLength;
    }

    private async Task<ModelList?> GetModelsAsync(CancellationToken cancellationToken)
    {
        if (cache.Latest is { } cached && time.GetUtcNow() - cached.At < s_refresh)
        {
            return cached.Models;
        }

        try
        {
            var (status, body) = await inference.GetModelsAsync(cancellationToken);
            if (status == StatusCodes.Status200OK && JsonSerializer.Deserialize(body, TolerantOpenAiJson.TypeInfo<ModelList>()) is { } models)
            {
                cache.Latest = (time.GetUtcNow(), models);
                return models;
            }
        }
        catch (Exception exception) when (exception is InferenceException or JsonException)
        {
            // Unknown: the configured budget alone bounds the context.
        }

        return null;
    }

    /// <summary>The last model list (a singleton: this class is made per request, as its typed HTTP client is).</summary>
    public sealed class ModelListCache
    {
        public (DateTimeOffset At, ModelList Models)? Latest { get; set; }
    }
}
