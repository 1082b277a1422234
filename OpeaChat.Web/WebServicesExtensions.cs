using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web;

public static class WebServicesExtensions
{
    /// <summary>The web frontend's own services: the ChatQnA gateway client and the per-circuit chat session.</summary>
    public static IHostApplicationBuilder AddWebServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddOptions<ChatQnAOptions>()
            .Bind(builder.Configuration.GetSection(ChatQnAOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // No resilience handler and no timeout: a streamed reply may take minutes and must never be retried
        // once it started; the page cancels it through its CancellationToken. Service discovery (added to
        // every client by the service defaults) turns http://chatqna into the gateway's real address.
        builder.Services.AddHttpClient<ChatQnAClient>((services, http) =>
        {
            var gateway = services.GetRequiredService<IOptions<ChatQnAOptions>>().Value;
            http.BaseAddress = new Uri(gateway.BaseUrl.EndsWith('/') ? gateway.BaseUrl : gateway.BaseUrl + "/");
            http.Timeout = Timeout.InfiniteTimeSpan;
            if (!string.IsNullOrEmpty(gateway.ApiKey))
            {
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", gateway.ApiKey);
            }
        });

        builder.Services.TryAddSingleton(TimeProvider.System);

        // One conversation per browser tab: scoped services live as long as the Blazor circuit.
        builder.Services.AddScoped<ChatSession>();
        return builder;
    }
}
