using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Dataprep.Ingestion;
using OpeaChat.ChatQnA.Dataprep.Links;
using OpeaChat.ChatQnA.Dataprep.Parsing;

namespace OpeaChat.ChatQnA.Dataprep;

public static class DataprepServiceExtensions
{
    /// <summary>OPEA's dataprep: parsing, the links' guarded HTTP client, and the background ingestion queue and worker.</summary>
    public static IHostApplicationBuilder AddDataprepServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DataprepOptions>()
            .Bind(builder.Configuration.GetSection(DataprepOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<DocumentParser>();
        builder.Services.AddSingleton<IngestionQueue>();
        builder.Services.AddHostedService<IngestionWorker>();
        builder.Services.AddTransient<LinkFetcher>();
        builder.Services.AddHttpClient(LinkFetcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(LinkFetcher.CreateHandler)
            // Not the service defaults' handlers: no retries against someone else's server, no service discovery.
            .RemoveAllLoggers();
        return builder;
    }
}
