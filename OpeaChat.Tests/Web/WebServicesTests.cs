using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpeaChat.Web;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>The web app's services: each browser tab (a Blazor circuit, one DI scope) gets its own chat state.</summary>
public sealed class WebServicesTests
{
    [Fact]
    public void Each_tab_has_its_own_chat_state_shared_by_its_parts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddWebServices();
        using var services = builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        using var first = services.CreateScope();
        using var second = services.CreateScope();

        foreach (var type in new[]
        {
            typeof(ChatErrorState), typeof(ConversationList), typeof(OpenConversation), typeof(ConversationReplies),
            typeof(GatewayCatalog), typeof(ServiceHealthMonitor), typeof(BrowserTab), typeof(BrowserTimeZone),
        })
        {
            var state = first.ServiceProvider.GetRequiredService(type);
            Assert.Same(state, first.ServiceProvider.GetRequiredService(type));
            Assert.NotSame(state, second.ServiceProvider.GetRequiredService(type));
        }

        Assert.NotNull(first.ServiceProvider.GetRequiredService<GatewayHealthClient>());
        Assert.NotNull(first.ServiceProvider.GetRequiredService<ConversationsClient>());
    }
}
