using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// One message: Markdown (sanitized) for replies, plain text for the user's, with its details and actions.
/// Re-renders only when something it shows changed (a streaming reply changes often).
/// </summary>
public sealed partial class ChatMessageItem
{
    private (int Version, bool IsLast, bool IsBusy, bool Editing, int Position, int Count, string Zone) _rendered = (-1, false, false, false, 0, 0, string.Empty);
    private (int Version, string Scope) _htmlKey = (-1, string.Empty);
    private string _html = string.Empty;
    private bool _editing;
    private string? _editText;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Parameter, EditorRequired]
    public DisplayedMessage Message { get; set; } = default!;

    [Parameter]
    public bool IsLast { get; set; }

    /// <summary>The message's place in the conversation (1-based) and the conversation's length, for the feed's ARIA.</summary>
    [Parameter]
    public int Position { get; set; }

    [Parameter]
    public int Count { get; set; }

    [Parameter]
    public bool IsBusy { get; set; }

    [Parameter]
    public EventCallback OnRegenerate { get; set; }

    [Parameter]
    public EventCallback<(DisplayedMessage Message, string Text)> OnEdit { get; set; }

    /// <summary>Asks for another version of this message: -1 the previous, +1 the next.</summary>
    [Parameter]
    public EventCallback<(DisplayedMessage Message, int Offset)> OnShowSibling { get; set; }

    private bool IsWaiting => Message is { Role: ChatRole.Assistant, State: ReplyState.Streaming, IsEmpty: true };

    private bool CanRegenerate => IsLast && !IsBusy && Message is { Role: ChatRole.Assistant, Id: not null } && Message.State != ReplyState.Streaming;

    private bool CanEdit => !IsBusy && !_editing && Message is { Role: ChatRole.User, Id: not null };

    /// <summary>Versions can be switched while no reply streams, to a neighbour the gateway named (sibling_ids).</summary>
    private bool CanShowPrevious => !IsBusy && Message.Id is not null && Message.SiblingIndex > 0 && Message.SiblingIndex < Message.SiblingIds.Count;

    private bool CanShowNext => !IsBusy && Message.Id is not null && Message.SiblingIndex < Message.SiblingIds.Count - 1;

    private string CssClass => Message.Role == ChatRole.User ? "chat-message user" : "chat-message assistant";

    private string RoleLabel => Message.Role == ChatRole.User ? "You" : Message.IsToolResult ? "Tool" : "Assistant";

    private string StateName => Message.State.ToString().ToLowerInvariant();

    /// <summary>Makes the citation buttons' ids unique on the page: the reply's id, or its place while it streams.</summary>
    private string CitationScope => Message.Id?.ToString() ?? $"new-{Position}";

    /// <summary>
    /// The reply as safe HTML with its [n] markers as buttons for its sources, converted again only when its text or
    /// sources (the version) or the citations' ids changed.
    /// </summary>
    private string Html
    {
        get
        {
            var key = (Message.Version, CitationScope);
            if (_htmlKey != key)
            {
                var scope = key.CitationScope;
                _html = CitationMarkers.Link(MarkdownRenderer.ToSafeHtml(Message.Text), Message.Sources, number => MessageCitations.CitationId(scope, number));
                _htmlKey = key;
            }

            return _html;
        }
    }

    private string? Note => Message.State switch
    {
        ReplyState.Stopped => "Stopped",
        ReplyState.CutOff => "Reply cut off",
        ReplyState.Complete when Message is { Role: ChatRole.Assistant, IsEmpty: true, ToolCalls.Count: 0 } => "The model gave an empty reply.",
        _ => null,
    };

    protected override bool ShouldRender()
    {
        var now = (Message.Version, IsLast, IsBusy, _editing, Position, Count, TimeZone.Id);
        if (now == _rendered)
        {
            return false;
        }

        _rendered = now;
        return true;
    }

    private async Task CopyAsync()
    {
        try
        {
            await JS.InvokeVoidAsync("opeaChat.copyText", Message.Text);
        }
        catch (JSException)
        {
            // Clipboard refused (no permission): nothing to do.
        }
    }

    private Task ShowPreviousAsync() => CanShowPrevious ? OnShowSibling.InvokeAsync((Message, -1)) : Task.CompletedTask;

    private Task ShowNextAsync() => CanShowNext ? OnShowSibling.InvokeAsync((Message, 1)) : Task.CompletedTask;

    private void StartEdit()
    {
        _editText = Message.Text;
        _editing = true;
    }

    private void CancelEdit() => _editing = false;

    private async Task SendEditAsync()
    {
        var text = _editText?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        _editing = false;
        await OnEdit.InvokeAsync((Message, text));
    }
}
