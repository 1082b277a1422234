using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Caching;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Dataprep;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Protection;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.ChatQnA.Retrieval.Embeddings;
using OpeaChat.ChatQnA.Telemetry;
using OpeaChat.ServiceDefaults.Security;
using Polly;

namespace OpeaChat.ChatQnA;

public static class ChatQnAServiceExtensions
{
    /// <summary>Inference is on the same machine or network: a connection that takes longer is not coming.</summary>
    private static readonly TimeSpan InferenceConnectTimeout = TimeSpan.FromSeconds(2);

    public static IHostApplicationBuilder AddChatQnAServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChatQnAOptions>()
            .Bind(builder.Configuration.GetSection(ChatQnAOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<InferenceBalancer>();
        builder.Services.AddTransient<BalancingHandler>();
        builder.Services.AddHttpClient(InferenceBalancer.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(2));
        var inferenceClient = builder.Services.AddHttpClient<InferenceClient>(ConfigureInferenceAddress);
        inferenceClient.AddStandardResilienceHandler()
            .Configure((resilience, services) =>
            {
                var attemptTimeout = services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceAttemptTimeout;
                // A reply is only retried when nothing of it has arrived: the call returns at the response headers,
                // which inference sends before the first token. 503 (loading, no model) and 429 (busy) go straight to
                // the client with their Retry-After, rather than waiting here.
                resilience.Retry.MaxRetryAttempts = 2;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(300);
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => true,
                    { Result.StatusCode: HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout } => true,
                    _ => false,
                });
                resilience.AttemptTimeout.Timeout = attemptTimeout;
                resilience.TotalRequestTimeout.Timeout = attemptTimeout * 3;
                // The breaker counts only failures to reach inference (its own 503 "loading" and 429 "busy" are
                // answers): a few in a row open it for a short while, so a dead inference costs one wait, not one
                // per request. (The default needs 100 requests in the window: it would never open here.)
                resilience.CircuitBreaker.ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException);
                resilience.CircuitBreaker.MinimumThroughput = 3;
                resilience.CircuitBreaker.FailureRatio = 0.5;
                // Polly requires the window to be at least twice the attempt timeout.
                resilience.CircuitBreaker.SamplingDuration = attemptTimeout * 2;
                resilience.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(3);
            });

        // Chat completions go through Microsoft.Extensions.AI's IChatClient over the OpenAI SDK, sent by this HTTP
        // client's handlers (InferenceChatClient). Keyed: it is inference's, not a chat client for anything else to
        // take. Transient, like the typed client, so the factory's handler rotation still holds. No .UseOpenTelemetry():
        // GenerateSpan is already the gen_ai "chat" span around each call (with its HTTP call as child); M.E.AI's would
        // be a second span for the same call, and it gathers every streamed update to describe the reply.
        builder.Services.AddKeyedChatClient(InferenceChatClient.ServiceKey,
            services => InferenceChatClient.Create(services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(nameof(InferenceClient)),
                services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceBaseUrl),
            ServiceLifetime.Transient);

        // Inside the resilience handler, so that each attempt picks the least busy replica again.
        inferenceClient.AddHttpMessageHandler<BalancingHandler>();
        // Innermost: asks the picked replica's /alive first, so a dead inference (whose port Aspire's proxy still
        // accepts) fails in about a second with the reason instead of after the attempt timeout.
        inferenceClient.AddHttpMessageHandler(services => new LivenessProbeHandler(
            "inference", services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceProbeTimeout));
        inferenceClient.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = InferenceConnectTimeout });

        // Model pulls stream for as long as a download takes: no resilience handler (its timeouts would cut them).
        builder.Services.AddHttpClient<Models.ModelPullClient>(ConfigureInferenceAddress)
            .AddHttpMessageHandler(services => new LivenessProbeHandler(
                "inference", services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceProbeTimeout))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = InferenceConnectTimeout });

        builder.Services.AddHttpClient(InferenceHealthCheck.HttpClientName, (services, client) =>
        {
            ConfigureInferenceAddress(services, client);
            client.Timeout = TimeSpan.FromSeconds(2);
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = InferenceConnectTimeout });
        builder.Services.AddHealthChecks().AddCheck<InferenceHealthCheck>("inference");

        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<ResponseCache>();
        builder.Services.AddScoped<ChatService>();
        builder.Services.AddSingleton<RunningReplies>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RunningReplies>());
        // Per request: retrieval, which it runs, calls inference through typed HTTP clients.
        builder.Services.AddScoped<ChatMemory>();
        builder.Services.AddGatewayProtection();
        builder.Services.AddSingleton<IRequestRejection, GatewayRequestRejection>();
        builder.AddHttpSecurity();
        builder.Services.AddOpenApi();
        builder.AddConversationServices();
        builder.AddAccountServices();
        builder.Services.AddSingleton<ReplyRecorder>();
        // After the database initializer (hosted services start in order): replies a crash left streaming fail first.
        builder.Services.AddHostedService<AbandonedReplies>();
        builder.AddRetrievalServices();
        builder.AddDocumentStore();
        builder.AddDataprepServices();

        // Every client that calls inference (and only those) carries its key.
        builder.Services.AddTransient<InferenceKeyHandler>();
        builder.Services.AddHttpClient<InferenceClient>().AddHttpMessageHandler<InferenceKeyHandler>();
        builder.Services.AddHttpClient<RetrievalModelsClient>().AddHttpMessageHandler<InferenceKeyHandler>();
        builder.Services.AddHttpClient<Models.ModelPullClient>().AddHttpMessageHandler<InferenceKeyHandler>();
        foreach (var name in new[] { InferenceBalancer.HttpClientName, InferenceHealthCheck.HttpClientName, nameof(InferenceEmbeddingGenerator) })
        {
            builder.Services.AddHttpClient(name).AddHttpMessageHandler<InferenceKeyHandler>();
        }

        return builder;
    }

    private static void ConfigureInferenceAddress(IServiceProvider services, HttpClient client)
    {
        client.BaseAddress = services.GetRequiredService<IOptions<ChatQnAOptions>>().Value.InferenceBaseUrl;
        // Replies can stream for minutes; the resilience pipeline bounds the wait for the first byte instead.
        client.Timeout = Timeout.InfiniteTimeSpan;
    }
}
