using System.Text;
using LLama;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// Turns chat messages into the model's prompt text with the chat template from the GGUF metadata, or with
/// ChatML when the model has none (base models such as the test model). ChatML's end marker then also stops generation.
/// </summary>
public sealed class ChatPromptFormatter
{
    public const string FallbackTemplateName = "chatml";
    private static readonly string[] s_fallbackStops = ["<|im_end|>", "<|im_start|>"];
    private readonly LLamaWeights _weights;

    public ChatPromptFormatter(LLamaWeights weights)
    {
        _weights = weights;
        HasModelTemplate = weights.Metadata.ContainsKey("tokenizer.chat_template");
    }

    public bool HasModelTemplate { get; }

    public string TemplateName => HasModelTemplate ? "model" : FallbackTemplateName;

    /// <summary>Stop sequences the template needs besides the model's end-of-generation tokens.</summary>
    public IReadOnlyList<string> TemplateStops => HasModelTemplate ? [] : s_fallbackStops;

    public string Format(IEnumerable<(string Role, string Content)> messages)
    {
        var template = HasModelTemplate
            ? new LLamaTemplate(_weights)
            : new LLamaTemplate(FallbackTemplateName);
        template.AddAssistant = true;
        foreach (var (role, content) in messages)
        {
            template.Add(role, content);
        }

        return Encoding.UTF8.GetString(template.Apply());
    }
}
