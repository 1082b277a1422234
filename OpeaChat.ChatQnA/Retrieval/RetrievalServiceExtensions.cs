using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Retrieval.Embeddings;

namespace OpeaChat.ChatQnA.Retrieval;

public static class RetrievalServiceExtensions
{
    /// <summary>
    /// Retrieval for both chat doors: the retriever (BM25 + vectors, fused, reranked), the RAG prompt and its token
    /// budget, telemetry, and the embedding generator over inference (unless another <c>IEmbeddingGenerator</c> is
    /// registered first). The document store comes from <c>AddDocumentStore</c>.
    /// </summary>
    public static IHostApplicationBuilder AddRetrievalServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetrievalOptions>()
            .Bind(builder.Configuration.GetSection(RetrievalOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddHttpClient<RetrievalModelsClient>((services, client) =>
        {
            client.BaseAddress = services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceBaseUrl;
            // Reranking a question's candidates is quick; a reranker that hangs must not hold the answer back for long.
            client.Timeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddHttpClient(nameof(InferenceEmbeddingGenerator), (services, client) =>
        {
            client.BaseAddress = services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceBaseUrl;
            client.Timeout = TimeSpan.FromMinutes(2);
        });
        builder.Services.TryAddTransient<IEmbeddingGenerator<string, Embedding<float>>>(services =>
            new InferenceEmbeddingGenerator(services.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(InferenceEmbeddingGenerator))));
        builder.Services.AddSingleton<RetrievalTelemetry>();
        builder.Services.AddSingleton<InferenceContextSize.ModelListCache>();
        builder.Services.AddScoped<InferenceContextSize>();
        builder.Services.AddScoped<DocumentRetriever>();
        builder.Services.AddScoped<RagPrompt>();
        builder.Services.AddScoped<RetrievalAugmenter>();
        return builder;
    }
}
