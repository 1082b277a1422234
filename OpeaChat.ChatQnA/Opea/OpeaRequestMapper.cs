using OpeaChat.Contracts.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Opea;

/// <summary>Checks an OPEA request and turns it into the OpenAI request the inference service understands.</summary>
public static class OpeaRequestMapper
{
    private static readonly string[] s_roles = ["system", "user", "assistant"];

    public static IResult? Validate(OpeaChatRequest request)
    {
        if (request.Messages is null)
        {
            return OpeaErrors.Validation("messages", "Field required: a string or a list of {role, content} messages.", "missing");
        }

        if (request.Messages.Items.Count == 0)
        {
            return OpeaErrors.Validation("messages", "messages must contain at least one message.", "too_short");
        }

        for (var i = 0; i < request.Messages.Items.Count; i++)
        {
            var message = request.Messages.Items[i];
            if (message.Role is null || !s_roles.Contains(message.Role))
            {
                return OpeaErrors.Validation($"messages.{i}.role", $"role must be one of {string.Join(", ", s_roles)}.", "enum");
            }

            if (message.Content is null)
            {
                return OpeaErrors.Validation($"messages.{i}.content", "Field required.", "missing");
            }
        }

        if (request.Messages.WasPlainString && string.IsNullOrWhiteSpace(request.Messages.Items[0].Content))
        {
            return OpeaErrors.Validation("messages", "messages must not be empty.", "too_short");
        }

        if (request.MaxTokens is < 1 or > 1_000_000)
        {
            return OpeaErrors.Validation("max_tokens", "max_tokens must be an integer from 1 to 1000000.", "greater_than_equal");
        }

        if (request.Temperature is < 0 or > 2)
        {
            return OpeaErrors.Validation("temperature", "temperature must be from 0 to 2.", "less_than_equal");
        }

        if (request.TopP is <= 0 or > 1)
        {
            return OpeaErrors.Validation("top_p", "top_p must be greater than 0 and at most 1.", "less_than_equal");
        }

        if (request.TopK is < 0)
        {
            return OpeaErrors.Validation("top_k", "top_k must be 0 or more.", "greater_than_equal");
        }

        if (request.RepetitionPenalty is <= 0 or > 10)
        {
            return OpeaErrors.Validation("repetition_penalty", "repetition_penalty must be greater than 0 and at most 10.", "less_than_equal");
        }

        return null;
    }

    /// <summary>
    /// The OpenAI request for inference, with only what the client gave (see <see cref="WithOpeaDefaults"/>); its
    /// <c>model</c> only with <see cref="ChatQnAOptions.StrictModel"/>, else it is left for the gateway to choose.
    /// </summary>
    public static ChatCompletionRequest ToCompletionRequest(OpeaChatRequest request, ChatQnAOptions options) => new()
    {
        Model = !options.StrictModel || string.IsNullOrWhiteSpace(request.Model) ? null : request.Model,
        Messages = request.Messages!.Items.Select(message => ChatMessage.Create(message.Role!, message.Content!)).ToArray(),
        MaxTokens = request.MaxTokens,
        Temperature = request.Temperature,
        TopP = request.TopP,
        TopK = request.TopK,
        RepeatPenalty = request.RepetitionPenalty,
        FrequencyPenalty = request.FrequencyPenalty,
        PresencePenalty = request.PresencePenalty,
        Seed = request.Seed,
        Stop = request.Stop,
        IgnoreEos = request.IgnoreEos,
        CachePrompt = request.CachePrompt,
    };

    /// <summary>
    /// What is still missing (after a conversation's own settings) takes OPEA's LLM defaults: max_tokens 1024, top_k 10,
    /// top_p 0.95, temperature 0.01, repetition_penalty 1.03; the model, the gateway's default (none: inference's).
    /// </summary>
    public static ChatCompletionRequest WithOpeaDefaults(ChatCompletionRequest request, ChatQnAOptions options) => request with
    {
        Model = request.Model ?? options.DefaultModel,
        MaxTokens = request.MaxTokens ?? options.DefaultMaxTokens,
        Temperature = request.Temperature ?? 0.01f,
        TopP = request.TopP ?? 0.95f,
        TopK = request.TopK ?? 10,
        RepeatPenalty = request.RepeatPenalty ?? 1.03f,
    };
}
