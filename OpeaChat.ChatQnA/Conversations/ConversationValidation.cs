using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>A field that does not fit, in FastAPI's terms (the field, a message, pydantic's error type).</summary>
public sealed record FieldProblem(string Field, string Message, string Type);

/// <summary>The checks on a conversation's settings, the same for create, update and import.</summary>
public static class ConversationValidation
{
    /// <param name="present">For an update: whether a field was sent; null checks every field.</param>
    public static FieldProblem? Check(ConversationSettings settings, Func<string, bool>? present = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        bool Sent(string field) => present?.Invoke(field) ?? true;

        if (Sent("title") && settings.Title is { Length: > ConversationLimits.TitleMaxLength })
        {
            return new("title", $"title must be at most {ConversationLimits.TitleMaxLength} characters.", "string_too_long");
        }

        if (Sent("model") && settings.Model is { Length: > ConversationLimits.NameMaxLength })
        {
            return new("model", $"model must be at most {ConversationLimits.NameMaxLength} characters.", "string_too_long");
        }

        if (Sent("prompt_id") && settings.PromptId is { Length: > ConversationLimits.PromptIdMaxLength })
        {
            return new("prompt_id", $"prompt_id must be at most {ConversationLimits.PromptIdMaxLength} characters.", "string_too_long");
        }

        if (Sent("variables") && settings.Variables?.Keys.FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
        {
            return new("variables", "variables must not have empty names.", "value_error");
        }

        if (Sent("variables") && settings.Variables?.FirstOrDefault(pair => pair.Value is null).Key is { } nullValue)
        {
            return new($"variables.{nullValue}", "Each variable's value must be a string.", "string_type");
        }

        if (Sent("temperature") && settings.Temperature is < 0 or > 2)
        {
            return new("temperature", "temperature must be from 0 to 2.", "less_than_equal");
        }

        if (Sent("top_p") && settings.TopP is <= 0 or > 1)
        {
            return new("top_p", "top_p must be greater than 0 and at most 1.", "less_than_equal");
        }

        if (Sent("max_tokens") && settings.MaxTokens is < 1 or > 1_000_000)
        {
            return new("max_tokens", "max_tokens must be an integer from 1 to 1000000.", "greater_than_equal");
        }

        if (Sent("index_name") && Retrieval.IndexNames.Problem(settings.IndexName) is { } indexProblem)
        {
            return new("index_name", indexProblem, "value_error");
        }

        return null;
    }
}
