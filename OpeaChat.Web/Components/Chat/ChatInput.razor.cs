using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The message box and its buttons. Enter sends and Shift+Enter makes a new line (a small JS module catches
/// the key, since Blazor cannot cancel a keypress conditionally). The text to send is read from the element
/// itself, so nothing typed just before sending is lost to a pending change event.
/// </summary>
public sealed partial class ChatInput : IAsyncDisposable
{
    public const string InputId = "chat-input";

    private string? _text;
    private IJSObjectReference? _module;
    private DotNetObjectReference<ChatInput>? _self;

    /// <summary>Sent with Enter before the box was wired; sent by <see cref="SendEarlyInputAsync"/> once the page is ready.</summary>
    private string? _earlySubmit;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    /// <summary>While true, sending is disabled and a Stop button shows; typing the next message stays possible.</summary>
    [Parameter]
    public bool IsSending { get; set; }

    /// <summary>Nothing can answer yet (no model): Send is off, and Enter keeps the text in the input.</summary>
    [Parameter]
    public bool Disabled { get; set; }

    [Parameter]
    public EventCallback<string> OnSend { get; set; }

    [Parameter]
    public EventCallback OnStop { get; set; }

    /// <summary>Raised once the input is wired up in the browser and typing will not be lost.</summary>
    [Parameter]
    public EventCallback OnReady { get; set; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        _self = DotNetObjectReference.Create(this);
        try
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./Components/Chat/ChatInput.razor.js");
            var early = await _module.InvokeAsync<EarlyInput?>("init", InputId, _self);
            _earlySubmit = string.IsNullOrWhiteSpace(early?.Submitted) ? null : early.Submitted;
        }
        catch (JSDisconnectedException)
        {
            return; // The tab closed while starting up.
        }
        catch (JSException)
        {
            // Without the module Enter does not send, but the Send button still works (it falls back to the
            // bound value): better a slightly worse input than a broken page.
            _module = null;
        }

        await OnReady.InvokeAsync();
    }

    /// <summary>Called by the JS module when Enter (without Shift) is pressed, with the text as typed.</summary>
    [JSInvokable]
    public Task SubmitFromKeyboardAsync(string text) => SubmitAsync(text);

    /// <summary>
    /// Sends the message whose Enter was pressed before the box was wired (the page calls this once it is ready).
    /// The box keeps whatever was typed after that Enter.
    /// </summary>
    public async Task SendEarlyInputAsync()
    {
        if (Interlocked.Exchange(ref _earlySubmit, null) is { } text && !IsSending)
        {
            await OnSend.InvokeAsync(text.Trim());
        }
    }

    /// <summary>Called by the JS module when Escape is pressed in the input.</summary>
    [JSInvokable]
    public Task StopFromKeyboardAsync() => IsSending ? OnStop.InvokeAsync() : Task.CompletedTask;

    /// <summary>Reads the box's text and empties it (for Retry).</summary>
    public async Task<string?> TakeTextAsync()
    {
        var text = await ReadTextAsync();
        if (!string.IsNullOrWhiteSpace(text))
        {
            await SetTextAsync(string.Empty);
        }

        return text?.Trim();
    }

    /// <summary>Puts <paramref name="text"/> back into the box, unless the user already typed something new.</summary>
    public async Task RestoreTextAsync(string text)
    {
        var current = await ReadTextAsync();
        if (string.IsNullOrWhiteSpace(current))
        {
            await SetTextAsync(text);
        }
    }

    public async Task FocusAsync()
    {
        if (_module is not null)
        {
            await _module.InvokeVoidAsync("focus", InputId);
        }
    }

    private async Task SendClickedAsync() => await SubmitAsync(await ReadTextAsync());

    private async Task SubmitAsync(string? text)
    {
        if (IsSending || string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        if (Disabled)
        {
            return; // The text stays in the box, to send once a model is there.
        }

        // The box is emptied (and focused, so that after a click on Send typing the next message just works) while the
        // message goes: the send does not wait for two round trips to the browser. Interop calls and renders reach the
        // browser in order, so a failed send's text put back later still lands after the emptying.
        var emptied = EmptyForNextAsync();
        await OnSend.InvokeAsync(text);
        await emptied;
    }

    private async Task EmptyForNextAsync()
    {
        try
        {
            await SetTextAsync(string.Empty);
            await FocusAsync();
        }
        catch (JSDisconnectedException)
        {
            // The tab closed: there is no box left to empty.
        }
    }

    private async Task<string?> ReadTextAsync() =>
        _module is null ? _text : await _module.InvokeAsync<string?>("getValue", InputId);

    private async Task SetTextAsync(string text)
    {
        _text = text;
        if (_module is not null)
        {
            // Set on the element too: the rendered value may not have changed since the last render
            // (the text was typed, not rendered), so a re-render alone would not clear or refill the box.
            await _module.InvokeVoidAsync("setValue", InputId, text);
        }

        StateHasChanged();
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("dispose", InputId);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone, and the browser's objects with it.
            }
        }

        _self?.Dispose();
    }
}

/// <summary>What early-input.js kept from before the box was wired: the text left in the box and a sent message.</summary>
public sealed record EarlyInput(string? Draft, string? Submitted);
