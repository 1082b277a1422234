using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Models;
using OpeaChat.Inference.Models.Pulls;
using OpeaChat.Inference.Reranking;
using OpeaChat.Inference.Telemetry;
using OpeaChat.ServiceDefaults.Security;

namespace OpeaChat.Inference;

public static class InferenceServiceExtensions
{
    public static IHostApplicationBuilder AddInferenceServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>()
            .Bind(builder.Configuration.GetSection(InferenceOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddHttpSecurity();
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
        builder.AddModelPulls();
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");

        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<InferenceOptions>>((kestrel, inference) => kestrel.Limits.MaxRequestBodySize = inference.Value.MaxRequestBodyBytes);
        return builder;
    }
}

public static class InferenceSecurityExtensions
{
    /// <summary>
    /// Headers, AllowedHosts and the origin check, then the API key on every path but the health probes (llama-server's
    /// /tokenize included; before any body is read, so 401 comes before 413),
    /// then JSON-only bodies: a page of another site can neither post a chat nor unload a model.
    /// </summary>
    public static WebApplication UseInferenceSecurity(this WebApplication app)
    {
        app.UseHttpSecurity();
        app.UseBearerKeys(context => context.RequestServices.GetRequiredService<IOptionsMonitor<InferenceOptions>>().CurrentValue.ApiKeys);
        app.UseJsonBodies();
        return app;
    }
}
