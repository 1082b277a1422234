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
        HasTemplateMetadata = weights.Metadata.TryGetValue("tokenizer.chat_template", out var template);
        HasModelTemplate = HasTemplateMetadata && CanApplyModelTemplate(weights);
        var detected = Tools.ToolCallFormat.Detect(template);
        // Llama 3's markup needs its own template applied; under the ChatML fallback the generic format fits.
        ToolFormat = detected == Tools.ToolCallFormat.Llama3 && !HasModelTemplate ? Tools.ToolCallFormat.Generic : detected;
    }

    /// <summary>How this model is shown tools and writes calls.</summary>
    public Tools.ToolCallFormat ToolFormat { get; }

    /// <summary>The GGUF carries a chat template.</summary>
    public bool HasTemplateMetadata { get; }

    /// <summary>The GGUF's chat template is one llama.cpp can apply; otherwise ChatML is used.</summary>
    public bool HasModelTemplate { get; }

    public string TemplateName => HasModelTemplate ? "model" : HasTemplateMetadata ? $"{FallbackTemplateName} (the model's own template is not supported by llama.cpp)" : FallbackTemplateName;

    /// <summary>Stop sequences the template needs besides the model's end-of-generation tokens.</summary>
    public IReadOnlyList<string> TemplateStops => HasModelTemplate ? [] : s_fallbackStops;

    /// <summary>llama.cpp recognises templates by their text; an unknown one fails on every request, so try it once at load.</summary>
    private static bool CanApplyModelTemplate(LLamaWeights weights)
    {
        try
        {
            var template = new LLamaTemplate(weights) { AddAssistant = true };
            template.Add("user", "hello");
            return template.Apply().Length > 0;
        }
#pragma warning disable CA1031 // Any failure means "use the fallback"; the load logs which template is used.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

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
