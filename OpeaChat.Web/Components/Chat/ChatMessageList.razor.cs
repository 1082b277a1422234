using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The conversation, virtualized (only the messages near the view are rendered), in its own scroll area. A small JS
/// module keeps the newest message in view while the user is at the bottom ("following") and stops as soon as they
/// scroll up; a "Jump to latest" button then takes them back and follows again. Opening a conversation or sending a
/// message starts at the bottom.
/// </summary>
public sealed partial class ChatMessageList : IAsyncDisposable
{
    /// <summary>A first guess at a message's height in pixels; Virtualize measures the real ones as it renders.</summary>
    private const float EstimatedMessageHeight = 120;

    /// <summary>Messages rendered beyond each edge of the view, so a fast scroll does not show blank space.</summary>
    private const int OverscanCount = 5;

    private ElementReference _scroller;
    private ElementReference _content;
    private IJSObjectReference? _module;
    private DotNetObjectReference<ChatMessageList>? _self;
    private bool _following = true;
    private Guid? _shownConversation;
    private ChatMessage? _shownLast;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired]
    public IReadOnlyList<ChatMessage> Messages { get; set; } = [];

    /// <summary>The open conversation: when it changes, the view goes to its newest message.</summary>
    [Parameter]
    public Guid? ConversationId { get; set; }

    [Parameter]
    public bool IsSending { get; set; }

    [Parameter]
    public EventCallback OnRegenerate { get; set; }

    [Parameter]
    public EventCallback<(ChatMessage Message, string Text)> OnEdit { get; set; }

    [Parameter]
    public EventCallback<(ChatMessage Message, int Offset)> OnShowSibling { get; set; }

    /// <summary>Virtualize reads a collection; the session's list is one already (copied only if it is not).</summary>
    private ICollection<ChatMessage> Items => Messages as ICollection<ChatMessage> ?? [.. Messages];

    /// <summary>True right after the user sent a message: their question and the new reply end the list.</summary>
    private bool JustSent => Messages.Count >= 2
        && Messages[^1] is { Role: ChatRole.Assistant, State: ReplyState.Streaming, Id: null }
        && Messages[^2] is { Role: ChatRole.User, Id: null };

    /// <summary>What the status line tells a screen reader: that a reply started, and how it ended.</summary>
    private string? Announcement { get; set; }

    private bool _announcedReplying;

    private int IndexOf(ChatMessage message)
    {
        // Messages near the end are the ones usually on screen: search from there.
        for (var index = Messages.Count - 1; index >= 0; index--)
        {
            if (ReferenceEquals(Messages[index], message))
            {
                return index;
            }
        }

        return -1;
    }

    protected override void OnParametersSet()
    {
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

    private Task JumpToLatestAsync() => FollowAsync();

    private async Task FollowAsync()
    {
        if (!_following)
        {
            _following = true;
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
