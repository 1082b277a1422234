using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Chat;

/// <summary>The service's state above the chat while it cannot answer: loading (with progress), no model, unreachable.</summary>
public sealed partial class ServiceStatusBar
{
    [Parameter, EditorRequired]
    public GatewayHealth Health { get; set; } = default!;

    private MessageBarIntent Intent => Health.State switch
    {
        GatewayState.Loading or GatewayState.Pulling => MessageBarIntent.Info,
        GatewayState.NoModel => MessageBarIntent.Warning,
        _ => MessageBarIntent.Error,
    };

    private string Title => Health.State switch
    {
        GatewayState.Loading => "Loading the model",
        GatewayState.NoModel => "No model",
        GatewayState.Pulling => "Pulling a model",
        GatewayState.Unreachable => "Service unreachable",
        _ => "Not ready",
    };
}
