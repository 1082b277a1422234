using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OpeaChat.Inference.Models.Pulls;

public static class ModelPullServiceExtensions
{
    /// <summary>The hub client, the pull manager (also the start-up pull) and the disk probe a test may replace.</summary>
    public static IHostApplicationBuilder AddModelPulls(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelDownloadOptions>()
            .Bind(builder.Configuration.GetSection(ModelDownloadOptions.SectionName))
            // huggingface_hub's and llama.cpp's environment variables, when the settings leave them empty.
            .PostConfigure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.Endpoint))
                {
                    options.Endpoint = builder.Configuration["HF_ENDPOINT"] is { Length: > 0 } endpoint ? endpoint : ModelDownloadOptions.DefaultEndpoint;
                }

                if (string.IsNullOrWhiteSpace(options.Token))
                {
                    options.Token = builder.Configuration["HF_TOKEN"];
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // No handler-level redirects (the hub's redirect carries the SHA-256, and the token must not follow it to the
        // CDN) and no overall timeout (a model takes minutes): a stalled read is what ends a try.
        builder.Services.AddHttpClient<HuggingFaceHub>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = TimeSpan.FromSeconds(30),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        builder.Services.TryAddSingleton<IFreeSpaceProbe, DriveFreeSpaceProbe>();
        builder.Services.AddSingleton<ModelPullManager>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelPullManager>());
        return builder;
    }
}
