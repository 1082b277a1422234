using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Models;
using OpeaChat.Inference.Reranking;
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
        builder.Services.AddSingleton<ModelLoader>();
        builder.Services.AddSingleton<ModelManager>();
        builder.Services.AddSingleton<ModelDescriber>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelManager>());
        builder.Services.AddSingleton<EmbeddingService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddingService>());
        builder.Services.AddSingleton<RerankService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RerankService>());
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");

        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<InferenceOptions>>((kestrel, inference) => kestrel.Limits.MaxRequestBodySize = inference.Value.MaxRequestBodyBytes);
        return builder;
    }
}
