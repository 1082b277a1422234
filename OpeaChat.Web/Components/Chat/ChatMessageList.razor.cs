using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The conversation in its own scroll area, virtualized as a sliding window: only <see cref="WindowSize"/> messages
/// are in the page, the newest ones unless the user scrolls towards either end, when the JS module moves the window
/// by <see cref="WindowStep"/> and keeps the message they were looking at in place. (Blazor's Virtualize needs items of
/// one height; chat messages are anything but, and it could leave the view blank.) The module also keeps the newest
/// message in view while the user is at the bottom ("following") and stops as soon as they scroll up; "Jump to latest"
/// takes them back. Opening a conversation or sending a message starts at the bottom.
/// </summary>
public sealed partial class ChatMessageList : IAsyncDisposable
{
    /// <summary>The most messages in the page at once: a long conversation costs no more to show than a short one.</summary>
    public const int WindowSize = 40;

    /// <summary>How far the window moves when the user scrolls near one of its ends.</summary>
    public const int WindowStep = 20;

    /// <summary>The first message of the window (an index into <see cref="Messages"/>).</summary>
    private int _windowStart;

    /// <summary>Where the window ends when it does not reach the newest message; null while it does (it then grows with the conversation).</summary>
    private int? _windowEnd;

    private ElementReference _scroller;
    private ElementReference _content;
    private IJSObjectReference? _module;
    private DotNetObjectReference<ChatMessageList>? _self;
    private bool _following = true;
    private Guid? _shownConversation;
    private DisplayedMessage? _shownLast;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired]
    public IReadOnlyList<DisplayedMessage> Messages { get; set; } = [];

    /// <summary>The open conversation: when it changes, the view goes to its newest message.</summary>
    [Parameter]
    public Guid? ConversationId { get; set; }

    [Parameter]
    public bool IsSending { get; set; }

    [Parameter]
    public EventCallback OnRegenerate { get; set; }

    [Parameter]
    public EventCallback<(DisplayedMessage Message, string Text)> OnEdit { get; set; }

    [Parameter]
    public EventCallback<(DisplayedMessage Message, int Offset)> OnShowSibling { get; set; }

    private int WindowEnd => Math.Min(_windowEnd ?? Messages.Count, Messages.Count);

    private bool HasEarlier => _windowStart > 0;

    private bool HasLater => WindowEnd < Messages.Count;

    /// <summary>True right after the user sent a message: their question and the new reply end the list.</summary>
    private bool JustSent => Messages.Count >= 2
        && Messages[^1] is { Role: ChatRole.Assistant, State: ReplyState.Streaming, Id: null }
        && Messages[^2] is { Role: ChatRole.User, Id: null };

    /// <summary>What the status line tells a screen reader: that a reply started, and how it ended.</summary>
    private string? Announcement { get; set; }

    private bool _announcedReplying;

    protected override void OnParametersSet()
    {
        if (ConversationId != _shownConversation || (_windowStart >= Messages.Count && Messages.Count > 0))
        {
            ShowNewest(); // Another conversation, or the list was replaced by a shorter one.
        }
        else if (_windowEnd is null && _following)
        {
            // At the newest message the window moves on with the conversation (and fills once it has loaded).
            _windowStart = Math.Max(0, Messages.Count - WindowSize);
        }

        var last = Messages.Count > 0 ? Messages[^1] : null;
        if (last is { Role: ChatRole.Assistant, State: ReplyState.Streaming })
        {
            Announcement = "The assistant is replying.";
            _announcedReplying = true;
        }
        else if (_announcedReplying)
        {
            _announcedReplying = false;
            Announcement = last?.State switch
            {
                ReplyState.Stopped => "Reply stopped.",
                ReplyState.CutOff => "Reply cut off.",
                _ => "Reply complete.",
            };
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        var last = Messages.Count > 0 ? Messages[^1] : null;
        if (firstRender)
        {
            _shownConversation = ConversationId;
            _shownLast = last;
            _self = DotNetObjectReference.Create(this);
            try
            {
                _module = await JS.InvokeAsync<IJSObjectReference>("import", "./Components/Chat/ChatMessageList.razor.js");
                await _module.InvokeVoidAsync("init", _scroller, _content, _self);
            }
            catch (JSDisconnectedException)
            {
                // The tab closed while starting up.
            }
            catch (JSException)
            {
                _module = null; // Without the module the list still works; it just does not follow new text.
            }

            return;
        }

        var opened = ConversationId != _shownConversation;
        var sent = !ReferenceEquals(last, _shownLast) && JustSent;
        _shownConversation = ConversationId;
        _shownLast = last;
        if ((opened || sent) && _module is not null)
        {
            await FollowAsync();
        }
    }

    /// <summary>Called by the JS module when following starts (the user reached the bottom) or stops (they scrolled up).</summary>
    [JSInvokable]
    public Task SetFollowing(bool following)
    {
        if (following == _following)
        {
            return Task.CompletedTask;
        }

        _following = following;
        return InvokeAsync(StateHasChanged);
    }

    /// <summary>
    /// Called by the JS module when the user scrolls near the top (<paramref name="direction"/> -1) or the bottom (+1) of
    /// the window and there is more that way. Answers whether the window moved.
    /// </summary>
    [JSInvokable]
    public bool ShiftWindow(int direction)
    {
        var end = WindowEnd;
        if (direction < 0 && _windowStart > 0)
        {
            _windowStart = Math.Max(0, _windowStart - WindowStep);
            _windowEnd = Math.Min(Messages.Count, _windowStart + WindowSize);
        }
        else if (direction > 0 && end < Messages.Count)
        {
            end = Math.Min(Messages.Count, end + WindowStep);
            _windowEnd = end == Messages.Count ? null : end;
            _windowStart = Math.Max(0, end - WindowSize);
        }
        else
        {
            return false;
        }

        StateHasChanged();
        return true;
    }

    private void ShowNewest()
    {
        _windowEnd = null;
        _windowStart = Math.Max(0, Messages.Count - WindowSize);
    }

    private Task JumpToLatestAsync() => FollowAsync();

    private async Task FollowAsync()
    {
        if (!_following || _windowEnd is not null || _windowStart != Math.Max(0, Messages.Count - WindowSize))
        {
            _following = true;
            ShowNewest();
            StateHasChanged(); // Hides "Jump to latest" (also when called after a render, where nothing else redraws).
        }

        if (_module is null)
        {
            return;
        }

        try
        {
            await _module.InvokeVoidAsync("follow", _scroller);
        }
        catch (JSDisconnectedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("dispose", _scroller);
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
