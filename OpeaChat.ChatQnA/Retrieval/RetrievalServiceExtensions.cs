using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Retrieval;

public static class RetrievalServiceExtensions
{
    /// <summary>
    /// Retrieval for both chat doors: the retriever (BM25 + vectors, fused, reranked), the RAG prompt and its token
    /// budget, and telemetry. The document store and the embedding generator come from their own registrations
    /// (<c>AddDocumentStore</c>, <c>AddDataprepServices</c>).
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
        builder.Services.AddSingleton<RetrievalTelemetry>();
        builder.Services.AddSingleton<InferenceContextSize.ModelListCache>();
        builder.Services.AddScoped<InferenceContextSize>();
        builder.Services.AddScoped<DocumentRetriever>();
        builder.Services.AddScoped<RagPrompt>();
        builder.Services.AddScoped<RetrievalAugmenter>();
        return builder;
    }
}
