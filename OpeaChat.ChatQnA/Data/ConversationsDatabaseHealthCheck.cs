using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.ChatQnA.Data;

/// <summary>Unhealthy when the conversation database cannot be reached (matters for PostgreSQL).</summary>
public sealed class ConversationsDatabaseHealthCheck(IDbContextFactory<ConversationsDbContext> contexts) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy("The conversation database is reachable.")
            : HealthCheckResult.Unhealthy(
                "The conversation database cannot be reached: check ConnectionStrings:conversations or ChatQnA:DataDirectory.",
                data: new Dictionary<string, object> { ["status"] = "database_unavailable" });
    }
}
