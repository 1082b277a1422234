using System.Globalization;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Chat;

/// <summary>The model in use, with each model's facts (architecture, size, quantization, context) and the service's state.</summary>
public sealed partial class ModelPicker
{
    [Parameter]
    public IReadOnlyList<ModelInfo> Models { get; set; } = [];

    [Parameter]
    public string? Selected { get; set; }

    [Parameter]
    public GatewayHealth? Health { get; set; }

    [Parameter]
    public EventCallback<string> OnSelect { get; set; }

    private string? Current => Selected ?? Models.FirstOrDefault(model => model.Loaded == true)?.Id ?? Models.FirstOrDefault()?.Id;

    private string StatusText => Health switch
    {
        null => "Checking…",
        { IsReady: true } => "Ready",
        { State: GatewayState.Loading } => "Loading",
        { State: GatewayState.Pulling } => "Pulling",
        _ => "Unavailable",
    };

    private string StatusClass => Health switch
    {
        null => "checking",
        { IsReady: true } => "ready",
        { State: GatewayState.Loading or GatewayState.Pulling } => "loading",
        _ => "unavailable",
    };

    private async Task ChangedAsync(ChangeEventArgs e)
    {
        if (e.Value?.ToString() is { Length: > 0 } id)
        {
            await OnSelect.InvokeAsync(id);
        }
    }

    internal static string Describe(ModelInfo model)
    {
        var facts = new List<string>();
        if (!string.IsNullOrEmpty(model.Architecture))
        {
            facts.Add(model.Architecture);
        }

        if (model.Parameters is { } parameters)
        {
            facts.Add(FormatCount(parameters) + " params");
        }

        if (!string.IsNullOrEmpty(model.Quantization))
        {
            facts.Add(model.Quantization);
        }

        if (model.FileSize is { } size)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"{size / 1024d / 1024d:0.#} MB"));
        }

        if (model.ContextLength is { } context)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"ctx {context}"));
        }

        return facts.Count == 0 ? model.Id : $"{model.Id} ({string.Join(", ", facts)})";
    }

    private static string FormatCount(long count) => count switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e9:0.#}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e6:0.#}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e3:0.#}K"),
        _ => count.ToString(CultureInfo.InvariantCulture),
    };
}
