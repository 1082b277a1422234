using System.Globalization;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Prompts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// The settings panel's editable copy of a conversation's settings. Numbers are kept as typed (text) so a person
/// can clear or half-type them; <see cref="TryBuild"/> checks them with the gateway's own limits and names the
/// field that does not fit.
/// </summary>
public sealed class ConversationSettingsForm
{
    /// <summary>The placeholder a template fills with the person's message; never asked for in the panel.</summary>
    public const string QuestionVariable = "question";

    public const string SystemPromptField = "system_prompt";
    public const string PromptField = "prompt_id";
    public const string TemperatureField = "temperature";
    public const string TopPField = "top_p";
    public const string MaxTokensField = "max_tokens";
    public const string SeedField = "seed";

    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);

    public string? SystemPrompt { get; set; }

    /// <summary>The stored prompt (system prompt or template) to apply; empty for none.</summary>
    public string PromptId { get; set; } = string.Empty;

    /// <summary>Values for the chosen template's placeholders, by name.</summary>
    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public string? Temperature { get; set; }

    public string? TopP { get; set; }

    public string? MaxTokens { get; set; }

    public string? Seed { get; set; }

    /// <summary>Problems found by the last <see cref="TryBuild"/>, by field (snake_case, as the gateway names them).</summary>
    public IReadOnlyDictionary<string, string> Errors => _errors;

    public static ConversationSettingsForm From(ConversationRecord? conversation) => conversation is null
        ? new ConversationSettingsForm()
        : From(new ConversationUpdate
        {
            SystemPrompt = conversation.SystemPrompt,
            PromptId = conversation.PromptId,
            Variables = conversation.Variables,
            Temperature = conversation.Temperature,
            TopP = conversation.TopP,
            MaxTokens = conversation.MaxTokens,
            Seed = conversation.Seed,
        });

    public static ConversationSettingsForm From(ConversationUpdate? settings)
    {
        var form = new ConversationSettingsForm();
        if (settings is null)
        {
            return form;
        }

        form.SystemPrompt = settings.SystemPrompt;
        form.PromptId = settings.PromptId ?? string.Empty;
        form.Temperature = Format(settings.Temperature);
        form.TopP = Format(settings.TopP);
        form.MaxTokens = settings.MaxTokens?.ToString(CultureInfo.InvariantCulture);
        form.Seed = settings.Seed?.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in settings.Variables ?? new Dictionary<string, string>())
        {
            form.Variables[name] = value;
        }

        return form;
    }

    /// <summary>The placeholders of <paramref name="prompt"/> a person fills in (all but the question).</summary>
    public static IReadOnlyList<string> AskedVariables(PromptRecord? prompt) =>
        prompt is null ? [] : prompt.Variables.Where(name => name != QuestionVariable).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Checks every field; on success <paramref name="settings"/> is what to save (blank fields cleared).</summary>
    public bool TryBuild(IReadOnlyList<PromptRecord> prompts, out ConversationUpdate settings)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        _errors.Clear();

        var temperature = ParseNumber(Temperature, TemperatureField, "Temperature", value => value is >= 0 and <= 2, "from 0 to 2");
        var topP = ParseNumber(TopP, TopPField, "Top P", value => value is > 0 and <= 1, "greater than 0 and at most 1");
        var maxTokens = ParseInteger(MaxTokens, MaxTokensField, "Max tokens", value => value is >= 1 and <= 1_000_000, "a whole number from 1 to 1000000");
        var seed = ParseInteger(Seed, SeedField, "Seed", _ => true, "a whole number");

        var promptId = string.IsNullOrWhiteSpace(PromptId) ? null : PromptId.Trim();
        var prompt = promptId is null ? null : prompts.FirstOrDefault(candidate => candidate.Id == promptId);
        if (promptId is not null && prompt is null)
        {
            _errors[PromptField] = $"The prompt '{promptId}' no longer exists.";
        }

        Dictionary<string, string>? variables = null;
        foreach (var name in AskedVariables(prompt))
        {
            var value = Variables.GetValueOrDefault(name)?.Trim();
            if (string.IsNullOrEmpty(value))
            {
                _errors[VariableField(name)] = $"Give a value for {{{name}}}.";
                continue;
            }

            (variables ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = value;
        }

        settings = new ConversationUpdate
        {
            SystemPrompt = string.IsNullOrWhiteSpace(SystemPrompt) ? null : SystemPrompt.Trim(),
            PromptId = promptId,
            Variables = variables,
            Temperature = (float?)temperature,
            TopP = (float?)topP,
            MaxTokens = maxTokens is null ? null : (int)maxTokens.Value,
            Seed = seed,
        };
        return _errors.Count == 0;
    }

    public static string VariableField(string name) => $"variables.{name}";

    /// <summary>Takes a problem the gateway found (a 422 naming the field) so the panel shows it at that field.</summary>
    public void AddError(string field, string message) => _errors[field] = message;

    private double? ParseNumber(string? text, string field, string label, Func<double, bool> fits, string range)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && fits(value))
        {
            return value;
        }

        _errors[field] = $"{label} must be a number {range}.";
        return null;
    }

    private long? ParseInteger(string? text, string field, string label, Func<long, bool> fits, string range)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && fits(value))
        {
            return value;
        }

        _errors[field] = $"{label} must be {range}.";
        return null;
    }

    private static string? Format(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture);
}
