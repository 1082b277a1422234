using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Prompts;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The open conversation's settings (system prompt, prompt template and its values, temperature, top_p, max tokens,
/// seed), saved to the conversation on the gateway; for a new chat they wait until its first message creates it.
/// </summary>
public sealed partial class SettingsPanel
{
    private ConversationSettingsForm _form = new();
    private object? _formFor = new();
    private string? _saveError;
    private string? _status;
    private bool _saving;

    /// <summary>The open conversation; null for a new chat.</summary>
    [Parameter]
    public ConversationRecord? Conversation { get; set; }

    /// <summary>Settings already chosen for the new chat (when <see cref="Conversation"/> is null).</summary>
    [Parameter]
    public ConversationUpdate? Pending { get; set; }

    [Parameter]
    public IReadOnlyList<PromptRecord> Prompts { get; set; } = [];

    /// <summary>Saves; returns null on success or the gateway's reason.</summary>
    [Parameter, EditorRequired]
    public Func<ConversationUpdate, Task<string?>> Save { get; set; } = default!;

    [Parameter]
    public EventCallback OnClose { get; set; }

    private sealed record NumberField(string Id, string Field, string Label, string Placeholder, string InputMode, Func<string?> Get, Action<string?> Set);

    private IEnumerable<NumberField> NumberFields =>
    [
        new("settings-temperature", ConversationSettingsForm.TemperatureField, "Temperature", "0.8", "decimal", () => _form.Temperature, value => _form.Temperature = value),
        new("settings-top-p", ConversationSettingsForm.TopPField, "Top P", "0.95", "decimal", () => _form.TopP, value => _form.TopP = value),
        new("settings-max-tokens", ConversationSettingsForm.MaxTokensField, "Max tokens", "1024", "numeric", () => _form.MaxTokens, value => _form.MaxTokens = value),
        new("settings-seed", ConversationSettingsForm.SeedField, "Seed", "random", "numeric", () => _form.Seed, value => _form.Seed = value),
    ];

    private string ScopeText => Conversation is null
        ? "For this new chat: saved with it when you send the first message."
        : $"For “{Conversation.DisplayTitle}”, saved on the server.";

    private PromptRecord? SelectedPrompt => Prompts.FirstOrDefault(prompt => prompt.Id == _form.PromptId);

    private IReadOnlyList<string> AskedVariables => ConversationSettingsForm.AskedVariables(SelectedPrompt);

    private string PromptHelp => SelectedPrompt switch
    {
        null => "A stored prompt: a system prompt, or a template your message is put into.",
        { Kind: "template" } => "Your message fills {question}; give the other values below.",
        _ => "Used when the system prompt above is empty.",
    };

    private static string PromptLabel(PromptRecord prompt) =>
        prompt.Kind == "template" ? $"{prompt.Name} (template)" : $"{prompt.Name} (system prompt)";

    protected override void OnParametersSet()
    {
        // A new form only when another conversation is shown: a reply finishing must not wipe what is being typed.
        object key = Conversation?.Id is { } id ? id : "new";
        if (!Equals(key, _formFor))
        {
            _formFor = key;
            Reset();
        }
    }

    private string? Error(string field) => _form.Errors.GetValueOrDefault(field);

    private void PromptChanged(ChangeEventArgs change)
    {
        _form.PromptId = change.Value?.ToString() ?? string.Empty;
        _status = null;
    }

    private void Reset()
    {
        _form = Conversation is null ? ConversationSettingsForm.From(Pending) : ConversationSettingsForm.From(Conversation);
        _saveError = null;
        _status = null;
    }

    private async Task SaveAsync()
    {
        _saveError = null;
        _status = null;
        if (!_form.TryBuild(Prompts, out var settings))
        {
            _status = "Check the highlighted fields.";
            return;
        }

        _saving = true;
        try
        {
            _saveError = await Save(settings);
        }
        finally
        {
            _saving = false;
        }

        _status = _saveError is null ? (Conversation is null ? "Saved for the new chat." : "Saved.") : null;
    }

    private async Task KeyDownAsync(KeyboardEventArgs key)
    {
        if (key.Key == "Escape")
        {
            await OnClose.InvokeAsync();
        }
    }
}
