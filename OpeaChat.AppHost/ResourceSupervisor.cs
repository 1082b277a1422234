using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpeaChat.AppHost;

/// <summary>
/// Brings a development project back when it dies. Aspire 13.6 has no restart policy for projects: a project that
/// crashes (or is killed) stays down. This watches the resources' states and starts one again when it went from
/// running to exited or failed without anyone asking it to stop (a stop from the dashboard or a test goes through
/// "Stopping" first and is respected), after a backoff of 1, 2, 4 … up to 30 s that resets once it ran for a minute.
/// Publish mode has none: a deployment's orchestrator restarts containers itself (the compose file's restart policy).
/// </summary>
public static class ResourceSupervisorExtensions
{
    public static IDistributedApplicationBuilder SuperviseInDevelopment(this IDistributedApplicationBuilder builder, params IResourceBuilder<IResource>[] resources)
    {
        if (!builder.ExecutionContext.IsPublishMode)
        {
            var names = resources.Select(resource => resource.Resource.Name).ToHashSet(StringComparer.Ordinal);
            builder.Services.AddHostedService(services => new ResourceSupervisor(
                names,
                services.GetRequiredService<ResourceNotificationService>(),
                services.GetRequiredService<ResourceCommandService>(),
                services.GetRequiredService<IHostApplicationLifetime>(),
                services.GetRequiredService<ILogger<ResourceSupervisor>>()));
        }

        return builder;
    }
}

public sealed partial class ResourceSupervisor(
    IReadOnlySet<string> supervised, ResourceNotificationService notifications, ResourceCommandService commands,
    IHostApplicationLifetime lifetime, ILogger<ResourceSupervisor> logger) : BackgroundService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var change in notifications.WatchAsync(stopping.Token))
            {
                if (supervised.Contains(change.Resource.Name) && change.Snapshot.State?.Text is { } state)
                {
                    Observe(change.ResourceId, change.Resource.Name, state, change.Snapshot.ExitCode, stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The app is shutting down: every resource stops now, and none must be brought back.
        }
    }

    private void Observe(string resourceId, string name, string state, int? exitCode, CancellationToken cancellationToken)
    {
        if (!_watches.TryGetValue(resourceId, out var watch))
        {
            _watches[resourceId] = watch = new Watch();
        }

        var previous = watch.State;
        watch.State = state;
        if (state == KnownResourceStates.Running && previous != KnownResourceStates.Running)
        {
            watch.RunningSince = DateTimeOffset.UtcNow;
            return;
        }

        if (state == KnownResourceStates.Stopping)
        {
            watch.StopRequested = true;
            return;
        }

        var died = state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;
        if (!died || previous == state || watch.Restarting)
        {
            return;
        }

        if (watch.StopRequested)
        {
            watch.StopRequested = false; // Stopped on purpose: it stays down until someone starts it.
            return;
        }

        watch.Delay = watch.RunningSince is { } since && DateTimeOffset.UtcNow - since >= StableAfter
            ? FirstDelay
            : watch.Delay is { } last ? TimeSpan.FromTicks(Math.Min(last.Ticks * 2, MaxDelay.Ticks)) : FirstDelay;
        watch.RunningSince = null;
        watch.Restarting = true;
        LogDied(name, state, exitCode, watch.Delay.Value.TotalSeconds);
        _ = RestartAsync(resourceId, name, watch, cancellationToken);
    }

    private async Task RestartAsync(string resourceId, string name, Watch watch, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(watch.Delay!.Value, cancellationToken);
            // Right after an exit the start command may still be refused while DCP settles: try a few times.
            for (var attempt = 1; attempt <= 10 && !cancellationToken.IsCancellationRequested; attempt++)
            {
                var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, cancellationToken);
                if (result.Success)
                {
                    LogRestarted(name, attempt);
                    return;
                }

                LogStartRefused(name, attempt, result.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            LogRestartFailed(exception, name);
        }
        finally
        {
            watch.Restarting = false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Resource} stopped on its own ({State}, exit code {ExitCode}); starting it again in {DelaySeconds} s")]
    private partial void LogDied(string resource, string state, int? exitCode, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Resource} started again (attempt {Attempt})")]
    private partial void LogRestarted(string resource, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Starting {Resource} was refused (attempt {Attempt}): {Reason}")]
    private partial void LogStartRefused(string resource, int attempt, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start {Resource} again")]
    private partial void LogRestartFailed(Exception exception, string resource);

    /// <summary>What is known of one resource; touched only from the watch loop, except <see cref="Restarting"/>.</summary>
    private sealed class Watch
    {
        public string? State { get; set; }
        public DateTimeOffset? RunningSince { get; set; }
        public bool StopRequested { get; set; }
        public TimeSpan? Delay { get; set; }

        private bool _restarting;

        public bool Restarting
        {
            get => Volatile.Read(ref _restarting);
            set => Volatile.Write(ref _restarting, value);
        }
    }
}
