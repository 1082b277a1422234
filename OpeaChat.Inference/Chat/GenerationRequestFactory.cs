using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Models;
using OpeaChat.OpenAi;

namespace OpeaChat.Inference.Chat;

/// <summary>Tokenizes a prompt, checks it against the per-sequence context, and maps the request's sampling fields.</summary>
public static class GenerationRequestFactory
{
    public static (GenerationRequest? Request, OpenAiErrorResult? Error) Create(
        LoadedModel model, ChatCompletionRequest request, string prompt, CancellationToken cancellationToken)
    {
        var tokens = model.Tokenize(prompt);
        var budget = model.SequenceContextSize;
        if (tokens.Count >= budget)
        {
            return (null, OpenAiErrors.InvalidRequest(
                $"The prompt has {tokens.Count} tokens, but one request may use at most {budget} tokens of context " +
                $"(Inference:ContextSize {model.ContextSize} split across Inference:MaxParallelSequences). " +
                "Shorten the messages or raise Inference:ContextSize.",
                "messages", "context_length_exceeded"));
        }

        var room = budget - tokens.Count;
        var asked = request.MaxCompletionTokens ?? request.MaxTokens ?? room;
        var stops = new List<string>(model.Formatter.TemplateStops);
        if (request.Stop is { } stop)
        {
            stops.AddRange(stop.Values);
        }

        var defaults = new SamplingSettings();
        var generation = new GenerationRequest
        {
            PromptTokens = tokens,
            MaxTokens = Math.Min(asked, room),
            StopSequences = stops,
            CancellationToken = cancellationToken,
            Sampling = new SamplingSettings
            {
                Temperature = request.Temperature ?? defaults.Temperature,
                TopP = request.TopP ?? defaults.TopP,
                TopK = request.TopK ?? defaults.TopK,
                MinP = request.MinP ?? defaults.MinP,
                RepeatPenalty = request.RepeatPenalty ?? defaults.RepeatPenalty,
                FrequencyPenalty = request.FrequencyPenalty ?? defaults.FrequencyPenalty,
                PresencePenalty = request.PresencePenalty ?? defaults.PresencePenalty,
                Seed = request.Seed is { } seed ? unchecked((uint)seed) : (uint)Random.Shared.NextInt64(0, uint.MaxValue),
                Grammar = request.ResponseFormat?.Type == "json_object" ? JsonGrammar.Gbnf : null,
            },
        };
        return (generation, null);
    }
}
