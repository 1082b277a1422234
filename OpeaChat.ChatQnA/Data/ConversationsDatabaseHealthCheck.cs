using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// Unhealthy when the conversation database cannot be reached (matters for PostgreSQL); degraded while it is out of
/// space or read-only (it still answers reads, but no reply or change can be saved).
/// </summary>
public sealed class ConversationsDatabaseHealthCheck(IDbContextFactory<ConversationsDbContext> contexts, ConversationsStorageMonitor storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Database.CanConnectAsync(cancellationToken))
        {
            return HealthCheckResult.Unhealthy(
                "The conversation database cannot be reached: check ConnectionStrings:conversations or ChatQnA:DataDirectory.",
                data: new Dictionary<string, object> { ["status"] = "database_unavailable" });
        }

        return storage.Problem switch
        {
            StorageProblem.Full => HealthCheckResult.Degraded(
                "The conversation database is out of space: replies and changes cannot be saved. Free space where it lives (ChatQnA:DataDirectory or the PostgreSQL server).",
                data: new Dictionary<string, object> { ["status"] = "storage_full" }),
            StorageProblem.ReadOnly => HealthCheckResult.Degraded(
                "The conversation database is read-only: replies and changes cannot be saved. Make ChatQnA:DataDirectory and its files writable (or point at a PostgreSQL primary).",
                data: new Dictionary<string, object> { ["status"] = "storage_read_only" }),
            _ => HealthCheckResult.Healthy("The conversation database is reachable."),
        };
    }
}
