using OpeaChat.Inference.Models;
using OpeaChat.Inference.Telemetry;

namespace OpeaChat.Inference;

public static class InferenceServiceExtensions
{
    public static IHostApplicationBuilder AddInferenceServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>()
            .Bind(builder.Configuration.GetSection(InferenceOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ModelManager>();
        builder.Services.AddSingleton<ModelDescriber>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelManager>());
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");

        var bodyLimit = builder.Configuration.GetValue<long?>($"{InferenceOptions.SectionName}:{nameof(InferenceOptions.MaxRequestBodyBytes)}")
            ?? new InferenceOptions().MaxRequestBodyBytes;
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = bodyLimit);
        return builder;
    }
}
