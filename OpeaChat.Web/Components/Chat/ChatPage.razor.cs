using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The chat page: wires the conversation (<see cref="ChatSession"/>) to the view, throttles redraws while a
/// reply streams, and watches the gateway's health.
/// </summary>
public sealed partial class ChatPage
{
    /// <summary>Redraw at most this often while text streams, so the circuit is not flooded with diffs.</summary>
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    private readonly CancellationTokenSource _lifetime = new();
    private CancellationTokenSource? _reply;
    private RenderThrottle? _throttle;
    private ChatInput? _input;

    [Inject]
    private ChatSession Session { get; set; } = default!;

    [Inject]
    private ChatQnAClient Client { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    /// <summary>Set once the circuit is live and the input accepts typing (tests wait for it).</summary>
    private bool IsReady { get; set; }

    /// <summary>The gateway's last known health; null until checked.</summary>
    private GatewayHealth? Health { get; set; }

    /// <summary>
    /// The health warning, unless the error above the input already says the same (a send just failed with it):
    /// one message, shown where the user is looking.
    /// </summary>
    private GatewayHealth? HealthToShow =>
        Health is { IsReady: false } health && Session.Error?.Message != health.Message ? health : null;

    private bool CanStartNewChat => !Session.IsSending && (Session.Messages.Count > 0 || Session.Error is not null);

    protected override void OnInitialized() =>
        _throttle = new RenderThrottle(() => InvokeAsync(StateHasChanged), RenderInterval, Clock);

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            // Runs only once the circuit is interactive (never while prerendering). Never blocks chatting.
            _ = WatchHealthAsync(_lifetime.Token);
        }
    }

    private async Task SendAsync(string text)
    {
        using var reply = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        _reply = reply;
        try
        {
            var outcome = await Session.SendAsync(text, _throttle!.Request, reply.Token);
            if (outcome is SendOutcome.Failed or SendOutcome.Withdrawn && _input is not null && !_lifetime.IsCancellationRequested)
            {
                // Nothing typed is ever lost: the question goes back into the input, ready to send again.
                await _input.RestoreTextAsync(text);
            }

            if (outcome == SendOutcome.Replied)
            {
                Health = GatewayHealth.Ready; // It answered: whatever the last health check said is stale.
            }
        }
        finally
        {
            _reply = null;
        }

        _throttle.Flush();
    }

    private void StopReply() => _reply?.Cancel();

    private async Task StartNewChat()
    {
        Session.Clear();
        if (_input is not null)
        {
            await _input.FocusAsync();
        }
    }

    private void MarkReady()
    {
        IsReady = true;
        StateHasChanged();
    }

    private async Task WatchHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var health = await Client.GetHealthAsync(cancellationToken);
                if (health != Health)
                {
                    Health = health;
                    StateHasChanged();
                }

                if (health.IsReady)
                {
                    return;
                }

                // Poll quickly while a model loads (to show progress), slowly otherwise.
                var delay = health.State == GatewayState.Loading ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
                await Task.Delay(delay, Clock, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    private static MessageBarIntent HealthIntent(GatewayHealth health) => health.State switch
    {
        GatewayState.Loading => MessageBarIntent.Info,
        GatewayState.NoModel => MessageBarIntent.Warning,
        _ => MessageBarIntent.Error,
    };

    private static string HealthTitle(GatewayHealth health) => health.State switch
    {
        GatewayState.Loading => "Loading the model",
        GatewayState.NoModel => "No model",
        GatewayState.Unreachable => "Service unreachable",
        _ => "Not ready",
    };

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
        _throttle?.Dispose();
    }
}
