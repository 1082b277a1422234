using Microsoft.Extensions.Logging;
using OpeaChat.Web.Chat;
using OpeaChat.Web.ChatQnA;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// The state of one browser tab (one Blazor circuit) over the gateway's stored conversations: the list in the
/// sidebar, the open conversation's active branch, the reply in progress and the last error. It knows nothing of
/// rendering; <c>changed</c> callbacks tell the page when to draw.
/// </summary>
public sealed partial class ConversationSession(ConversationsClient client, TimeProvider clock, ILogger<ConversationSession> logger)
{
    private readonly List<ChatMessage> _messages = [];
    private int _errorCount;
    private int _listVersion;

    /// <summary>The open conversation as last read from the gateway (the list may not hold it while searching).</summary>
    private Conversation? _open;

    public IReadOnlyList<Conversation> Conversations { get; private set; } = [];

    public string? SearchQuery { get; private set; }

    public Guid? ConversationId { get; private set; }

    public Conversation? Current =>
        Conversations.FirstOrDefault(conversation => conversation.Id == ConversationId) ?? (_open?.Id == ConversationId ? _open : null);

    /// <summary>Settings chosen for a new chat before its first message; they are saved when it is created.</summary>
    public ConversationSettingsUpdate? PendingSettings { get; private set; }

    /// <summary>The gateway's stored prompts, for the settings panel (loaded once, on first use).</summary>
    public IReadOnlyList<PromptInfo> Prompts { get; private set; } = [];

    public IReadOnlyList<ChatMessage> Messages => _messages;

    public bool IsSending { get; private set; }

    /// <summary>True while the gateway switches to another version of a message (see <see cref="ShowSiblingAsync"/>).</summary>
    public bool IsSwitching { get; private set; }

    public ChatError? Error { get; private set; }

    /// <summary>The last action that failed, so the error bar can offer Retry.</summary>
    public Func<Task>? RetryAction { get; private set; }

    /// <summary>The model new chats use (and the open one, once set on it); null: the gateway's default.</summary>
    public string? SelectedModel { get; set; }

    public ChatMessage? LastReply => _messages.Count > 0 && _messages[^1].Role == ChatRole.Assistant ? _messages[^1] : null;

    public void DismissError()
    {
        Error = null;
        RetryAction = null;
    }

    public async Task RefreshListAsync(string? query = null, CancellationToken cancellationToken = default)
    {
        SearchQuery = string.IsNullOrWhiteSpace(query) ? null : query.Trim();
        var version = ++_listVersion;
        await RunAsync(async () =>
        {
            var found = await client.ListAsync(SearchQuery, cancellationToken);
            if (version == _listVersion)
            {
                Conversations = found; // An answer to an older search (typed over since) is dropped.
            }
        }, () => RefreshListAsync(query, cancellationToken));
    }

    /// <summary>Shows an empty new chat; the gateway stores it once the first message is sent.</summary>
    public void StartNew()
    {
        if (IsSending)
        {
            return;
        }

        ConversationId = null;
        _open = null;
        PendingSettings = null;
        _messages.Clear();
        DismissError();
    }

    public async Task OpenAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (IsSending)
        {
            return;
        }

        ConversationId = id;
        _open = null;
        PendingSettings = null;
        _messages.Clear();
        DismissError();
        await RunAsync(async () =>
        {
            _open = await client.GetAsync(id, cancellationToken);
            await ReloadMessagesAsync(cancellationToken);
        }, () => OpenAsync(id, cancellationToken));
        if (Current?.Model is { Length: > 0 } model)
        {
            SelectedModel = model;
        }
    }

    public async Task<bool> RenameAsync(Guid id, string title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            return false;
        }

        return await RunAsync(async () =>
        {
            var renamed = await client.RenameAsync(id, title);
            _open = _open?.Id == id ? renamed : _open;
            Conversations = await client.ListAsync(SearchQuery);
        }, () => RenameAsync(id, title));
    }

    public async Task<bool> DeleteAsync(Guid id)
    {
        return await RunAsync(async () =>
        {
            await client.DeleteAsync(id);
            if (ConversationId == id)
            {
                StartNew();
            }

            Conversations = await client.ListAsync(SearchQuery);
        }, () => DeleteAsync(id));
    }

    public async Task<Conversation?> ImportAsync(Stream json)
    {
        Conversation? imported = null;
        await RunAsync(async () =>
        {
            imported = await client.ImportAsync(json);
            Conversations = await client.ListAsync(SearchQuery);
        }, retry: null);
        return imported;
    }

    /// <summary>Saves the selected model on the open conversation (new chats get it when they are created).</summary>
    public async Task SelectModelAsync(string model)
    {
        SelectedModel = model;
        if (ConversationId is { } id)
        {
            await RunAsync(async () =>
            {
                var changed = await client.SetModelAsync(id, model);
                _open = _open?.Id == id ? changed : _open;
                Conversations = await client.ListAsync(SearchQuery);
            }, () => SelectModelAsync(model));
        }
    }

    /// <summary>Loads the gateway's prompts for the settings panel; keeps the last list if the gateway cannot answer.</summary>
    public async Task LoadPromptsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            Prompts = await client.GetPromptsAsync(cancellationToken);
        }
        catch (ChatQnAException exception)
        {
            LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
        }
    }

    /// <summary>
    /// Saves the settings panel to the open conversation, or keeps them for a new chat until it is created.
    /// Returns null when saved, else the gateway's reason (the form gets it at the field the gateway named).
    /// </summary>
    public async Task<string?> SaveSettingsAsync(ConversationSettingsUpdate settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (ConversationId is not { } id)
        {
            PendingSettings = settings;
            return null;
        }

        try
        {
            _open = await client.UpdateSettingsAsync(id, settings, cancellationToken);
            Conversations = [.. Conversations.Select(conversation => conversation.Id == id ? _open : conversation)];
            return null;
        }
        catch (ChatQnAException exception)
        {
            LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
            return exception.Message;
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> to the open conversation (creating it first for a new chat, then calling
    /// <paramref name="created"/>) and streams the reply into <see cref="Messages"/>.
    /// </summary>
    public async Task<SendOutcome> SendAsync(string text, Action changed, Func<Guid, Task> created, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(created);
        text = text?.Trim() ?? string.Empty;
        if (text.Length == 0 || IsSending)
        {
            return SendOutcome.NotSent;
        }

        DismissError();
        Guid id;
        try
        {
            if (ConversationId is { } existing)
            {
                id = existing;
            }
            else
            {
                var settings = PendingSettings ?? new ConversationSettingsUpdate(null, null, null, null, null, null, null);
                var conversation = await client.CreateAsync(settings with { Model = SelectedModel }, cancellationToken);
                id = conversation.Id;
                ConversationId = id;
                _open = conversation;
                PendingSettings = null;
                Conversations = [conversation, .. Conversations];
                await created(id);
            }
        }
        catch (ChatQnAException exception)
        {
            SetError(exception, retry: null);
            return SendOutcome.Failed;
        }

        _messages.Add(ChatMessage.FromUser(text));
        return await StreamAsync(token => client.StreamChatAsync(id, text, SelectedModel, token), changed, cancellationToken);
    }

    /// <summary>Asks for a new version of the last reply (a sibling on the gateway) and streams it.</summary>
    public async Task<SendOutcome> RegenerateAsync(Action changed, CancellationToken cancellationToken)
    {
        if (IsSending || ConversationId is not { } id || LastReply is not { Id: { } replyId } reply)
        {
            return SendOutcome.NotSent;
        }

        DismissError();
        _messages.Remove(reply);
        // Until the new version is stored, the branch still ends in the old one: wait for a different reply.
        return await StreamAsync(token => client.StreamRegenerateAsync(id, replyId, token), changed, cancellationToken,
            stored => stored[^1].Id != replyId);
    }

    /// <summary>Edits a user message (a new branch on the gateway) and streams the answer to the new text.</summary>
    public async Task<SendOutcome> EditAsync(ChatMessage message, string text, Action changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        text = text?.Trim() ?? string.Empty;
        if (IsSending || text.Length == 0 || ConversationId is not { } id || message is not { Role: ChatRole.User, Id: { } messageId })
        {
            return SendOutcome.NotSent;
        }

        DismissError();
        StoredMessage edited;
        try
        {
            edited = await client.EditMessageAsync(id, messageId, text, cancellationToken);
        }
        catch (ChatQnAException exception)
        {
            SetError(exception, retry: null);
            return SendOutcome.Failed;
        }

        var index = _messages.IndexOf(message);
        if (index >= 0)
        {
            _messages.RemoveRange(index, _messages.Count - index);
        }

        _messages.Add(ToMessage(edited));
        return await StreamAsync(token => client.StreamRegenerateAsync(id, edited.Id, token), changed, cancellationToken,
            stored => stored[^1].ParentId == edited.Id);
    }

    /// <summary>
    /// Shows another version of <paramref name="message"/>: <paramref name="offset"/> -1 the previous sibling, +1 the
    /// next. The gateway makes the branch through that sibling the active one (so a reload shows it too), and that
    /// branch replaces <see cref="Messages"/>. Returns false when there is no such version or nothing changed.
    /// </summary>
    public async Task<bool> ShowSiblingAsync(ChatMessage message, int offset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var target = message.SiblingIndex + offset;
        if (IsSending || IsSwitching || offset == 0 || ConversationId is not { } id || message.Id is null
            || target < 0 || target >= message.SiblingIds.Count || !_messages.Contains(message))
        {
            return false;
        }

        DismissError();
        IsSwitching = true;
        try
        {
            return await RunAsync(async () =>
            {
                var branch = await client.ActivateAsync(id, message.SiblingIds[target], cancellationToken);
                if (ConversationId == id)
                {
                    _messages.Clear();
                    _messages.AddRange(branch.Select(ToMessage));
                }
            }, () => ShowSiblingAsync(message, offset, cancellationToken));
        }
        finally
        {
            IsSwitching = false;
        }
    }

    private async Task<SendOutcome> StreamAsync(
        Func<CancellationToken, IAsyncEnumerable<string>> stream, Action changed, CancellationToken cancellationToken,
        Func<IReadOnlyList<StoredMessage>, bool>? stored = null)
    {
        var reply = ChatMessage.StartReply();
        _messages.Add(reply);
        IsSending = true;
        changed();
        SendOutcome outcome;
        try
        {
            await foreach (var piece in stream(cancellationToken))
            {
                reply.Append(piece);
                changed();
            }

            reply.End(ReplyState.Complete);
            outcome = SendOutcome.Replied;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reply.End(ReplyState.Stopped);
            outcome = SendOutcome.Stopped;
        }
        catch (ChatQnAException exception)
        {
            LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
            reply.End(ReplyState.CutOff);
            if (reply.IsEmpty)
            {
                _messages.Remove(reply);
            }

            SetError(exception, retry: null);
            outcome = SendOutcome.Failed;
        }
        finally
        {
            IsSending = false;
        }

        // The stored branch has the ids, statuses, models and token counts: show those.
        await SyncAfterReplyAsync(expectReply: !reply.IsEmpty || outcome != SendOutcome.Failed, stored);
        changed();
        return outcome;
    }

    private async Task SyncAfterReplyAsync(bool expectReply, Func<IReadOnlyList<StoredMessage>, bool>? isNewReply)
    {
        if (ConversationId is not { } id)
        {
            return;
        }

        try
        {
            // The gateway stores the reply as its stream ends (a stopped one a moment after): wait for it briefly,
            // and keep what was shown if it does not appear.
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var stored = await client.GetMessagesAsync(id);
                // Without a reply to wait for (the request was refused), what is stored now is the answer.
                var settled = !expectReply || (stored.Count > 0 && stored[^1].Status != "streaming"
                    && stored[^1].Role == "assistant" && (isNewReply is null || isNewReply(stored)));
                if (settled)
                {
                    _messages.Clear();
                    _messages.AddRange(stored.Select(ToMessage));
                    break;
                }

                await Task.Delay(100);
            }

            Conversations = await client.ListAsync(SearchQuery);
        }
        catch (ChatQnAException exception)
        {
            LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
        }
    }

    private async Task ReloadMessagesAsync(CancellationToken cancellationToken)
    {
        if (ConversationId is not { } id)
        {
            return;
        }

        var stored = await client.GetMessagesAsync(id, cancellationToken);
        _messages.Clear();
        _messages.AddRange(stored.Select(ToMessage));
        if (Conversations.All(conversation => conversation.Id != id))
        {
            Conversations = await client.ListAsync(SearchQuery, cancellationToken);
        }
    }

    private static ChatMessage ToMessage(StoredMessage message) => ChatMessage.FromStored(
        message.Id, message.Role, message.Content, message.Status, message.Model, message.CreatedAt,
        message.CompletionTokens, message.TokensPerSecond, message.SiblingCount, message.SiblingIndex, message.SiblingIds);

    private async Task<bool> RunAsync(Func<Task> action, Func<Task>? retry)
    {
        try
        {
            await action();
            return true;
        }
        catch (ChatQnAException exception)
        {
            LogGatewayFailure(logger, exception.Failure, exception.StatusCode, exception.Message);
            SetError(exception, retry);
            return false;
        }
    }

    private void SetError(ChatQnAException exception, Func<Task>? retry)
    {
        var retryAt = exception.RetryAfter is { } delay ? clock.GetUtcNow() + delay : (DateTimeOffset?)null;
        Error = new ChatError(exception.Failure, exception.Message, ++_errorCount, retryAt);
        RetryAction = retry;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway request failed ({Failure}, HTTP {StatusCode}): {Reason}")]
    private static partial void LogGatewayFailure(ILogger logger, ChatQnAFailure failure, System.Net.HttpStatusCode? statusCode, string reason);
}
