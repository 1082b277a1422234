using LLama.Native;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Models;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.Inference.Chat;

/// <summary>Checks a tokenized prompt against the per-sequence context and maps the request's sampling fields.</summary>
public static class GenerationRequestFactory
{
    public static (GenerationRequest? Request, OpenAiErrorResult? Error) Create(
        LoadedModel model, GenerationParameters parameters, IReadOnlyList<LLamaToken> tokens, int? maxTokens, string? grammar,
        string promptParam, CancellationToken cancellationToken, LazyGrammar? lazyGrammar = null)
    {
        var budget = model.SequenceContextSize;
        if (tokens.Count >= budget)
        {
            return (null, OpenAiErrors.ContextLengthExceeded(
                $"The prompt has {tokens.Count} tokens, but one request may use at most {budget} tokens of context " +
                $"(Inference:ContextSize {model.ContextSize} shared by Inference:MaxParallelSequences). " +
                "Shorten the prompt or raise Inference:ContextSize.",
                promptParam, tokens.Count, budget));
        }

        if (tokens.Count == 0)
        {
            return (null, OpenAiErrors.InvalidRequest("The prompt is empty.", promptParam, "empty_prompt"));
        }

        var room = budget - tokens.Count;
        var stops = new List<string>(model.Formatter.TemplateStops);
        if (parameters.Stop is { } stop)
        {
            stops.AddRange(stop.Values.Where(value => value.Length > 0));
        }

        var defaults = new SamplingSettings();
        var generation = new GenerationRequest
        {
            PromptTokens = tokens,
            MaxTokens = Math.Min(maxTokens ?? room, room),
            StopSequences = stops,
            CachePrompt = parameters.CachePrompt != false,
            LazyGrammar = lazyGrammar,
            CancellationToken = cancellationToken,
            Sampling = new SamplingSettings
            {
                Temperature = parameters.Temperature ?? defaults.Temperature,
                TopP = parameters.TopP ?? defaults.TopP,
                TopK = parameters.TopK ?? defaults.TopK,
                MinP = parameters.MinP ?? defaults.MinP,
                RepeatPenalty = parameters.RepeatPenalty ?? defaults.RepeatPenalty,
                FrequencyPenalty = parameters.FrequencyPenalty ?? defaults.FrequencyPenalty,
                PresencePenalty = parameters.PresencePenalty ?? defaults.PresencePenalty,
                Seed = parameters.Seed is { } seed ? unchecked((uint)seed) : (uint)Random.Shared.NextInt64(0, uint.MaxValue),
                Grammar = grammar,
                IgnoreEndOfGeneration = parameters.IgnoreEos == true,
            },
        };
        return (generation, null);
    }
}
