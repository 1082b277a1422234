using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web.Chat;

namespace OpeaChat.Tests.Web;

/// <summary>
/// bUnit for the chat's components: Fluent UI's services, the page's per-tab services, interactive server rendering,
/// and JS calls answered loosely (the components' JS modules are tested in the browser).
/// </summary>
public abstract class ChatComponentTestContext : BunitContext
{
    protected ChatComponentTestContext()
    {
        Services.AddFluentUIComponents();
        Services.AddScoped<BrowserTimeZone>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        JSInterop.Mode = JSRuntimeMode.Loose;
    }
}
