using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Dataprep;
using OpeaChat.ServiceDefaults.Security;

namespace OpeaChat.ChatQnA.Protection;

public static class ProtectionExtensions
{
    public static IServiceCollection AddGatewayProtection(this IServiceCollection services)
    {
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ChatQnAOptions>>((kestrel, gateway) => kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodyBytes);

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Every /v1 call counts, whichever feature maps it; health probes never do.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptionsMonitor<ChatQnAOptions>>().CurrentValue.RateLimit;
                if (!settings.Enabled || !context.Request.Path.StartsWithSegments("/v1"))
                {
                    return RateLimitPartition.GetNoLimiter("off");
                }

                var client = context.Items[ApiKeyMiddleware.ClientIdItem] as string ?? "unknown";
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.BurstLimit,
                    TokensPerPeriod = settings.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) && delay > TimeSpan.Zero ? delay : TimeSpan.FromSeconds(1);
                var context = rejected.HttpContext;
                await ContractErrors.Create(context, StatusCodes.Status429TooManyRequests,
                    $"Too many requests from this client. Retry after {Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s.",
                    "rate_limit_exceeded", retryAfter).ExecuteAsync(context);
            };
        });
        return services;
    }

    /// <summary>
    /// Authentication first (an unknown caller gets 401 whatever it sends), then the content type (JSON, or a form for
    /// uploads), then the body limit, then the rate limiter (which partitions by the authenticated caller).
    /// </summary>
    public static WebApplication UseGatewayProtection(this WebApplication app)
    {
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseJsonBodies(DataprepEndpoints.IngestPath);
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseRateLimiter();
        return app;
    }
}
