using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web.Chat;
using OpeaChat.Web.ChatQnA;
using OpeaChat.Web.Conversations;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The chat page: wires the stored conversations (<see cref="ConversationSession"/>) to the view, throttles
/// redraws while a reply streams, and watches the gateway's health. <c>/c/{id}</c> opens a conversation.
/// </summary>
public sealed partial class ChatPage
{
    /// <summary>Redraw at most this often while text streams, so the circuit is not flooded with diffs.</summary>
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    private readonly CancellationTokenSource _lifetime = new();
    private CancellationTokenSource? _reply;
    private RenderThrottle? _throttle;
    private ChatInput? _input;
    private string? _lastSent;

    [Parameter]
    public Guid? ConversationId { get; set; }

    [Inject]
    private ConversationSession Session { get; set; } = default!;

    [Inject]
    private GatewayHealthClient Client { get; set; } = default!;

    [Inject]
    private ConversationsClient Conversations { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    /// <summary>Set once the circuit is live, the list is loaded and the input accepts typing (tests wait for it).</summary>
    private bool IsReady { get; set; }

    private bool _inputReady;
    private bool _loaded;

    /// <summary>The first interactive parameters are applied: the list is loaded and /c/{id} is open.</summary>
    private bool _settled;
    private bool _settingsOpen;
    private bool _promptsLoaded;

    private GatewayHealth? Health { get; set; }

    private IReadOnlyList<ModelInfo> Models { get; set; } = [];

    /// <summary>The service's state above the chat, unless the error bar already speaks of it.</summary>
    private GatewayHealth? HealthToShow =>
        Health is { IsReady: false } health && Session.Error is not { ConcernsTheService: true } ? health : null;

    /// <summary>Cut short the health loop's wait (a request just failed because the service is not ready).</summary>
    private TaskCompletionSource _checkHealthNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override void OnInitialized() =>
        _throttle = new RenderThrottle(() => InvokeAsync(StateHasChanged), RenderInterval, Clock);

    protected override async Task OnParametersSetAsync()
    {
        if (!RendererInfo.IsInteractive)
        {
            return; // Prerendering: the interactive render loads everything once.
        }

        if (!_loaded)
        {
            _loaded = true;
            await Session.RefreshListAsync();
        }

        if (ConversationId is { } id)
        {
            if (Session.ConversationId != id)
            {
                await Session.OpenAsync(id);
            }
        }
        else if (Session.ConversationId is not null && !Session.IsSending)
        {
            Session.StartNew();
        }

        _settled = true;
        UpdateReady();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _ = WatchHealthAsync(_lifetime.Token);
            _ = LoadModelsAsync(_lifetime.Token);
            _ = LearnTimeZoneAsync();
        }
    }

    /// <summary>Times are shown in the person's zone, which only their browser knows.</summary>
    private async Task LearnTimeZoneAsync()
    {
        try
        {
            await TimeZone.DetectAsync(JS);
            await InvokeAsync(StateHasChanged);
        }
        catch (JSDisconnectedException)
        {
            // The tab closed.
        }
        catch (JSException)
        {
            // The browser would not say: the server's zone stays.
        }
    }

    private Task SendAsync(string text)
    {
        _lastSent = text;
        return ReplyAsync(token => Session.SendAsync(text, _throttle!.Request, ConversationCreatedAsync, token), text);
    }

    private Task ConversationCreatedAsync(Guid id)
    {
        // The page stays (same component, same session); the address now names the stored conversation.
        Navigation.NavigateTo($"c/{id}");
        return Task.CompletedTask;
    }

    private Task RegenerateAsync() => ReplyAsync(token => Session.RegenerateAsync(_throttle!.Request, token), text: null);

    private Task EditAsync((ChatMessage Message, string Text) edit) =>
        ReplyAsync(token => Session.EditAsync(edit.Message, edit.Text, _throttle!.Request, token), text: null);

    /// <summary>
    /// Runs one reply (send, regenerate or edit) that Stop and Escape can cancel, then draws its end.
    /// <paramref name="text"/> is what the person typed, put back into the input if the reply fails.
    /// </summary>
    private async Task ReplyAsync(Func<CancellationToken, Task<SendOutcome>> start, string? text)
    {
        using var reply = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        _reply = reply;
        try
        {
            await AfterReplyAsync(await start(reply.Token), text);
        }
        finally
        {
            _reply = null;
        }

        _throttle!.Flush();
    }

    private Task ShowSiblingAsync((ChatMessage Message, int Offset) request) =>
        Session.ShowSiblingAsync(request.Message, request.Offset, _lifetime.Token);

    private async Task AfterReplyAsync(SendOutcome outcome, string? text)
    {
        if (outcome == SendOutcome.Failed && text is not null && _input is not null && !_lifetime.IsCancellationRequested)
        {
            // Nothing typed is ever lost: the question goes back into the input, ready to send again.
            await _input.RestoreTextAsync(text);
        }

        if (outcome == SendOutcome.Replied)
        {
            Health = GatewayHealth.Ready;
        }
        else if (Session.Error is { ConcernsTheService: true })
        {
            // Show the load progress (or the outage) now rather than at the next scheduled check.
            _checkHealthNow.TrySetResult();
        }
    }

    private async Task RetryAsync()
    {
        if (Session.RetryAction is { } retry)
        {
            Session.DismissError();
            await retry();
            return;
        }

        Session.DismissError();
        if (_input is not null && await _input.TakeTextAsync() is { Length: > 0 } text)
        {
            await SendAsync(text);
        }
        else if (_lastSent is not null && Session.LastReply is { State: ReplyState.CutOff })
        {
            await RegenerateAsync();
        }
    }

    private void StopReply() => _reply?.Cancel();

    private async Task StartNewChat()
    {
        if (Session.IsSending)
        {
            return;
        }

        Session.StartNew();
        if (ConversationId is not null)
        {
            Navigation.NavigateTo(string.Empty);
        }

        if (_input is not null)
        {
            await _input.FocusAsync();
        }
    }

    private Task SearchAsync(string query) => Session.RefreshListAsync(query);

    private Task RenameAsync((Guid Id, string Title) rename) => Session.RenameAsync(rename.Id, rename.Title);

    private async Task DeleteAsync(Guid id)
    {
        var wasOpen = Session.ConversationId == id;
        if (await Session.DeleteAsync(id) && wasOpen)
        {
            Navigation.NavigateTo(string.Empty);
        }
    }

    private async Task ImportAsync(IBrowserFile file)
    {
        using var buffer = new MemoryStream();
        await using (var upload = file.OpenReadStream(maxAllowedSize: 20 * 1024 * 1024))
        {
            await upload.CopyToAsync(buffer);
        }

        buffer.Position = 0;
        if (await Session.ImportAsync(buffer) is { } imported)
        {
            Navigation.NavigateTo($"c/{imported.Id}");
        }
    }

    private async Task ToggleSettingsAsync()
    {
        _settingsOpen = !_settingsOpen;
        if (_settingsOpen && !_promptsLoaded)
        {
            _promptsLoaded = true;
            await Session.LoadPromptsAsync(_lifetime.Token);
        }
    }

    private void CloseSettings() => _settingsOpen = false;

    private Task<string?> SaveSettingsAsync(ConversationSettingsUpdate settings) => Session.SaveSettingsAsync(settings, _lifetime.Token);

    private async Task SelectModelAsync(string model) => await Session.SelectModelAsync(model);

    private void MarkReady()
    {
        _inputReady = true;
        UpdateReady();
        StateHasChanged();
    }

    private void UpdateReady() => IsReady = _inputReady && _settled;

    private async Task LoadModelsAsync(CancellationToken cancellationToken)
    {
        try
        {
            Models = await Conversations.GetModelsAsync(cancellationToken);
            await InvokeAsync(StateHasChanged);
        }
        catch (ChatQnAException)
        {
            // The picker stays empty: chatting still works with the gateway's default model.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
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
                    await InvokeAsync(StateHasChanged);
                }

                var delay = health.IsReady ? TimeSpan.FromSeconds(30)
                    : health.State == GatewayState.Loading ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
                await Task.WhenAny(Task.Delay(delay, Clock, cancellationToken), _checkHealthNow.Task);
                cancellationToken.ThrowIfCancellationRequested();
                if (_checkHealthNow.Task.IsCompleted)
                {
                    _checkHealthNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
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
