using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Chat;

/// <summary>
/// The page's view of whether the gateway can answer: asks its <c>/health</c> now and then (every 2 s while the
/// model loads, 10 s while it is down, 30 s while ready), and at once when a request failed because of the service.
/// </summary>
public sealed class ServiceHealthMonitor(GatewayHealthClient client, TimeProvider clock)
{
    /// <summary>Cut short the loop's wait (a request just failed because the service is not ready).</summary>
    private TaskCompletionSource _checkNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The last answer; null until the first check.</summary>
    public GatewayHealth? Health { get; private set; }

    /// <summary>The service's state to show above the chat: only when it is not ready, and the error bar does not already say so.</summary>
    public GatewayHealth? ToShow(ChatError? error) =>
        Health is { IsReady: false } health && error is not { ConcernsTheService: true } ? health : null;

    /// <summary>Checks until <paramref name="cancellationToken"/> ends (the page closes), calling <paramref name="changed"/> when the state changes.</summary>
    public async Task WatchAsync(Func<Task> changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var health = await client.GetHealthAsync(cancellationToken);
                if (health != Health)
                {
                    Health = health;
                    await changed();
                }

                var delay = health.IsReady ? TimeSpan.FromSeconds(30)
                    : health.State is GatewayState.Loading or GatewayState.Pulling ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
                await Task.WhenAny(Task.Delay(delay, clock, cancellationToken), _checkNow.Task);
                cancellationToken.ThrowIfCancellationRequested();
                if (_checkNow.Task.IsCompleted)
                {
                    _checkNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    /// <summary>Checks now rather than at the next scheduled check (a model was just pulled).</summary>
    public void CheckNow() => _checkNow.TrySetResult();

    /// <summary>
    /// Learns from a reply's end: one that arrived shows the service ready; a failure of the service itself has its
    /// load progress (or the outage) checked now rather than at the next scheduled check.
    /// </summary>
    public void AfterReply(SendOutcome outcome, ChatError? error)
    {
        if (outcome == SendOutcome.Replied)
        {
            Health = GatewayHealth.Ready;
        }
        else if (error is { ConcernsTheService: true })
        {
            _checkNow.TrySetResult();
        }
    }
}
