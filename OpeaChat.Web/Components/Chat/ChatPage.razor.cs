using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The chat page: wires this tab's state (the <see cref="ConversationList"/>, the <see cref="OpenConversation"/>
/// and its <see cref="ConversationReplies"/>, the <see cref="GatewayCatalog"/>, the <see cref="ChatErrorState"/> and
/// the <see cref="ServiceHealthMonitor"/>) to the view, throttles redraws while a reply streams, and lets Stop cancel
/// it. <c>/c/{id}</c> opens a conversation.
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
    private ConversationList List { get; set; } = default!;

    [Inject]
    private OpenConversation Open { get; set; } = default!;

    [Inject]
    private ConversationReplies Replies { get; set; } = default!;

    [Inject]
    private GatewayCatalog Catalog { get; set; } = default!;

    [Inject]
    private ChatErrorState Errors { get; set; } = default!;

    [Inject]
    private ServiceHealthMonitor HealthMonitor { get; set; } = default!;

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

    private GatewayHealth? Health => HealthMonitor.Health;

    protected override void OnInitialized()
    {
        _throttle = new RenderThrottle(() => InvokeAsync(StateHasChanged), RenderInterval, Clock);
        WatchDocuments();
        WatchPulls();
    }

    protected override async Task OnParametersSetAsync()
    {
        if (!RendererInfo.IsInteractive)
        {
            return; // Prerendering: the interactive render loads everything once.
        }

        if (!_loaded)
        {
            _loaded = true;
            await List.RefreshAsync();
        }

        if (ConversationId is { } id)
        {
            if (Open.ConversationId != id)
            {
                await Open.OpenAsync(id);
                // A reply still being generated (this page was reloaded, or another tab asked): show it and follow it.
                if (Replies.CanFollow)
                {
                    _ = ReplyAsync(token => Replies.FollowAsync(_throttle!.Request, token), text: null);
                }
            }
        }
        else if (Open.ConversationId is not null && !Open.IsSending)
        {
            Open.StartNew();
        }

        _settled = true;
        UpdateReady();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _ = HealthMonitor.WatchAsync(HealthChangedAsync, _lifetime.Token);
            _ = LoadModelsAsync(_lifetime.Token);
            _ = LoadPullsAsync(_lifetime.Token);
            _ = LearnTimeZoneAsync();
        }
    }

    /// <summary>
    /// The service's state changed. One that became ready while the picker is empty (the first load came while
    /// inference was still starting, or a pull finished before this tab heard of it) fills the picker in the same
    /// redraw, so that "Ready" never shows beside an empty list.
    /// </summary>
    private async Task HealthChangedAsync()
    {
        if (Health is { IsReady: true } && Catalog.Models.Count == 0)
        {
            await Catalog.LoadModelsAsync(_lifetime.Token);
        }

        await InvokeAsync(StateHasChanged);
    }

    private async Task LoadModelsAsync(CancellationToken cancellationToken)
    {
        if (await Catalog.LoadModelsAsync(cancellationToken))
        {
            await InvokeAsync(StateHasChanged);
        }
    }

    /// <summary>Times are shown in the person's zone, which only their browser knows.</summary>
    private async Task LearnTimeZoneAsync()
    {
        if (await TimeZone.TryDetectAsync(JS))
        {
            await InvokeAsync(StateHasChanged);
        }
    }

    private Task SendAsync(string text)
    {
        _lastSent = text;
        return ReplyAsync(token => Replies.SendAsync(text, _throttle!.Request, ConversationCreatedAsync, token), text);
    }

    private Task ConversationCreatedAsync(Guid id)
    {
        // The page stays (same component, same state); the address now names the stored conversation.
        Navigation.NavigateTo($"c/{id}");
        return Task.CompletedTask;
    }

    private Task RegenerateAsync() => ReplyAsync(token => Replies.RegenerateAsync(_throttle!.Request, token), text: null);

    private Task EditAsync((DisplayedMessage Message, string Text) edit) =>
        ReplyAsync(token => Replies.EditAsync(edit.Message, edit.Text, _throttle!.Request, token), text: null);

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
            var outcome = await start(reply.Token);
            if (outcome == SendOutcome.Failed && text is not null && _input is not null && !_lifetime.IsCancellationRequested)
            {
                // Nothing typed is ever lost: the question goes back into the input, ready to send again.
                await _input.RestoreTextAsync(text);
            }

            HealthMonitor.AfterReply(outcome, Errors.Error);
        }
        finally
        {
            _reply = null;
        }

        _throttle!.Flush();
    }

    private Task ShowSiblingAsync((DisplayedMessage Message, int Offset) request) =>
        Open.ShowSiblingAsync(request.Message, request.Offset, _lifetime.Token);

    private async Task RetryAsync()
    {
        if (Errors.RetryAction is { } retry)
        {
            Errors.Dismiss();
            await retry();
            return;
        }

        Errors.Dismiss();
        if (_input is not null && await _input.TakeTextAsync() is { Length: > 0 } text)
        {
            await SendAsync(text);
        }
        else if (_lastSent is not null && Open.LastReply is { State: ReplyState.CutOff })
        {
            await RegenerateAsync();
        }
    }

    /// <summary>Stops the reply on the gateway (it goes on without this page otherwise) and stops reading it here.</summary>
    private async Task StopReply()
    {
        if (_reply is not { } reply)
        {
            return;
        }

        // Started first: it takes the reply's id before the cancelled read forgets it.
        var stopping = Replies.StopAsync();
        await reply.CancelAsync();
        await stopping;
    }

    private async Task StartNewChat()
    {
        if (Open.IsSending)
        {
            return;
        }

        Open.StartNew();
        if (ConversationId is not null)
        {
            Navigation.NavigateTo(string.Empty);
        }

        if (_input is not null)
        {
            await _input.FocusAsync();
        }
    }

    private Task SearchAsync(string query) => List.RefreshAsync(query);

    private Task RenameAsync((Guid Id, string Title) rename) => List.RenameAsync(rename.Id, rename.Title);

    private async Task DeleteAsync(Guid id)
    {
        var wasOpen = Open.ConversationId == id;
        if (await List.DeleteAsync(id) && wasOpen)
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
        if (await List.ImportAsync(buffer) is { } imported)
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
            await Catalog.LoadPromptsAsync(_lifetime.Token);
        }
    }

    private void CloseSettings() => _settingsOpen = false;

    private Task<string?> SaveSettingsAsync(ConversationUpdate settings) => Open.SaveSettingsAsync(settings, _lifetime.Token);

    private async Task SelectModelAsync(string model) => await Open.SelectModelAsync(model);

    private void MarkReady()
    {
        _inputReady = true;
        UpdateReady();
        StateHasChanged();
    }

    private void UpdateReady()
    {
        IsReady = _inputReady && _settled;
        if (IsReady && _input is not null)
        {
            // A message sent with Enter before the page was interactive goes now (see early-input.js).
            _ = InvokeAsync(_input.SendEarlyInputAsync);
        }
    }

    public void Dispose()
    {
        UnwatchDocuments();
        UnwatchPulls();
        _lifetime.Cancel();
        _lifetime.Dispose();
        _throttle?.Dispose();
    }
}
