using OpeaChat.Contracts.Conversations;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// The conversation open in one browser tab (one Blazor circuit): which one it is, its record, settings and model,
/// and its active branch of messages, with switching between versions of a message. Replies are streamed into it
/// by <see cref="ConversationReplies"/>. It knows nothing of rendering.
/// </summary>
public sealed class OpenConversation
{
    private readonly List<DisplayedMessage> _messages = [];
    private readonly ConversationsClient _client;
    private readonly ConversationList _list;
    private readonly ChatErrorState _errors;

    /// <summary>The open conversation as last read from the gateway (the list may not hold it while searching).</summary>
    private ConversationRecord? _record;

    public OpenConversation(ConversationsClient client, ConversationList list, ChatErrorState errors)
    {
        ArgumentNullException.ThrowIfNull(list);
        _client = client;
        _list = list;
        _errors = errors;
        list.Changed += changed => _record = _record?.Id == changed.Id ? changed : _record;
        list.Deleted += id =>
        {
            if (ConversationId == id)
            {
                StartNew();
            }
        };
    }

    /// <summary>The stored conversation shown; null for a new chat not sent yet.</summary>
    public Guid? ConversationId { get; private set; }

    public ConversationRecord? Current => _list.Find(ConversationId) ?? (_record?.Id == ConversationId ? _record : null);

    /// <summary>Settings chosen for a new chat before its first message; they are saved when it is created.</summary>
    public ConversationUpdate? PendingSettings { get; private set; }

    public IReadOnlyList<DisplayedMessage> Messages => _messages;

    /// <summary>Whether the open chat (or the new one) answers from documents, and from which collection.</summary>
    public DocumentChoice Documents => ConversationId is null ? DocumentChoice.Of(PendingSettings) : DocumentChoice.Of(Current);

    /// <summary>True while a reply streams into <see cref="Messages"/> (set by <see cref="ConversationReplies"/>).</summary>
    public bool IsSending { get; internal set; }

    /// <summary>True while the gateway switches to another version of a message (see <see cref="ShowSiblingAsync"/>).</summary>
    public bool IsSwitching { get; private set; }

    /// <summary>The model new chats use (and the open one, once set on it); null: the gateway's default.</summary>
    public string? SelectedModel { get; set; }

    public DisplayedMessage? LastReply => _messages.Count > 0 && _messages[^1].Role == ChatRole.Assistant ? _messages[^1] : null;

    /// <summary>Shows an empty new chat; the gateway stores it once the first message is sent.</summary>
    public void StartNew()
    {
        if (IsSending)
        {
            return;
        }

        ConversationId = null;
        _record = null;
        PendingSettings = null;
        _messages.Clear();
        _errors.Dismiss();
    }

    public async Task OpenAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (IsSending)
        {
            return;
        }

        ConversationId = id;
        _record = null;
        PendingSettings = null;
        _messages.Clear();
        _errors.Dismiss();
        await _errors.RunAsync(async () =>
        {
            _record = await _client.GetAsync(id, cancellationToken);
            await ReloadMessagesAsync(cancellationToken);
        }, () => OpenAsync(id, cancellationToken));
        if (Current?.Model is { Length: > 0 } model)
        {
            SelectedModel = model;
        }
    }

    /// <summary>Saves the selected model on the open conversation (new chats get it when they are created).</summary>
    public async Task SelectModelAsync(string model)
    {
        SelectedModel = model;
        if (ConversationId is { } id)
        {
            await _errors.RunAsync(async () =>
            {
                var changed = await _client.SetModelAsync(id, model);
                _record = _record?.Id == id ? changed : _record;
                await _list.ReloadAsync();
            }, () => SelectModelAsync(model));
        }
    }

    /// <summary>
    /// Saves the settings panel to the open conversation, or keeps them for a new chat until it is created.
    /// Returns null when saved, else the gateway's reason (the form gets it at the field the gateway named).
    /// </summary>
    public async Task<string?> SaveSettingsAsync(ConversationUpdate settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // The settings panel does not edit the document choice: keep what the documents panel saved, as stored.
        settings = ConversationId is null
            ? settings with { UseDocuments = PendingSettings?.UseDocuments, IndexName = PendingSettings?.IndexName }
            : settings with { UseDocuments = Current?.UseDocuments, IndexName = Current?.IndexName };
        if (ConversationId is not { } id)
        {
            PendingSettings = settings;
            return null;
        }

        try
        {
            _record = await _client.UpdateSettingsAsync(id, settings, cancellationToken);
            _list.Replace(_record);
            return null;
        }
        catch (ChatQnAException exception)
        {
            _errors.Log(exception);
            return exception.Message;
        }
    }

    /// <summary>
    /// Saves the documents panel's choice with the open conversation's settings (the others unchanged), or keeps it
    /// for a new chat until its first message. A gateway failure goes to the error bar; false then.
    /// </summary>
    public async Task<bool> SaveDocumentsAsync(DocumentChoice choice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(choice);
        if (ConversationId is not { } id)
        {
            PendingSettings = choice.ApplyTo(PendingSettings ?? new ConversationUpdate());
            return true;
        }

        return await _errors.RunAsync(async () =>
        {
            var current = Current ?? await _client.GetAsync(id, cancellationToken);
            _record = await _client.UpdateSettingsAsync(id, choice.ApplyTo(DocumentChoice.SettingsOf(current)), cancellationToken);
            _list.Replace(_record);
        }, () => SaveDocumentsAsync(choice, cancellationToken));
    }

    /// <summary>
    /// Shows another version of <paramref name="message"/>: <paramref name="offset"/> -1 the previous sibling, +1 the
    /// next. The gateway makes the branch through that sibling the active one (so a reload shows it too), and that
    /// branch replaces <see cref="Messages"/>. Returns false when there is no such version or nothing changed.
    /// </summary>
    public async Task<bool> ShowSiblingAsync(DisplayedMessage message, int offset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var target = message.SiblingIndex + offset;
        if (IsSending || IsSwitching || offset == 0 || ConversationId is not { } id || message.Id is null
            || target < 0 || target >= message.SiblingIds.Count || !_messages.Contains(message))
        {
            return false;
        }

        _errors.Dismiss();
        IsSwitching = true;
        try
        {
            return await _errors.RunAsync(async () =>
            {
                var branch = await _client.ActivateAsync(id, message.SiblingIds[target], cancellationToken);
                if (ConversationId == id)
                {
                    ShowBranch(branch);
                }
            }, () => ShowSiblingAsync(message, offset, cancellationToken));
        }
        finally
        {
            IsSwitching = false;
        }
    }

    /// <summary>A new chat was just stored by its first message: it is now the open conversation.</summary>
    internal void Created(ConversationRecord conversation)
    {
        ConversationId = conversation.Id;
        _record = conversation;
        PendingSettings = null;
        _list.AddCreated(conversation);
    }

    internal void Add(DisplayedMessage message) => _messages.Add(message);

    internal void Remove(DisplayedMessage message) => _messages.Remove(message);

    /// <summary>Removes <paramref name="message"/> and every message after it (an edit starts a new branch there).</summary>
    internal void RemoveFrom(DisplayedMessage message)
    {
        var index = _messages.IndexOf(message);
        if (index >= 0)
        {
            _messages.RemoveRange(index, _messages.Count - index);
        }
    }

    /// <summary>Replaces <see cref="Messages"/> with a branch as the gateway stored it (ids, statuses, token counts).</summary>
    internal void ShowBranch(IEnumerable<BranchMessage> stored)
    {
        _messages.Clear();
        _messages.AddRange(stored.Select(ToMessage));
    }

    internal static DisplayedMessage ToMessage(BranchMessage message) => DisplayedMessage.FromStored(
        message.Id, message.Role, message.Content, message.Status, message.Model, message.CreatedAt,
        message.CompletionTokens, message.TokensPerSecond, message.SiblingCount, message.SiblingIndex, message.SiblingIds, message.Sources,
        message.ToolCalls, message.ToolCallId);

    private async Task ReloadMessagesAsync(CancellationToken cancellationToken)
    {
        if (ConversationId is not { } id)
        {
            return;
        }

        var stored = await _client.GetMessagesAsync(id, cancellationToken);
        ShowBranch(stored);
        if (!_list.Contains(id))
        {
            await _list.ReloadAsync(cancellationToken);
        }
    }
}
