using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// Asks the gateway for replies in the open conversation (<see cref="OpenConversation"/>): a new message, a new
/// version of the last reply, or an edited question. Each reply streams into the messages as it arrives; then the
/// branch as the gateway stored it replaces what was shown. <c>changed</c> callbacks tell the page when to draw.
/// </summary>
public sealed class ConversationReplies(ConversationsClient client, OpenConversation open, ConversationList list, ChatErrorState errors)
{
    /// <summary>The gateway's id of the reply streaming now, once known: what Stop asks the gateway to stop.</summary>
    private Guid? _runningReplyId;
    private bool _stopRequested;

    /// <summary>Whether the open conversation ends in a reply the gateway is still generating (a reload, or another tab's).</summary>
    public bool CanFollow => !open.IsSending && open.ConversationId is not null && open.LastReply is { State: ReplyState.Streaming, Id: not null };

    /// <summary>
    /// Follows the reply the gateway is generating at the end of the open conversation: the text so far, then each new
    /// piece, until it ends (Stop here stops it for every tab).
    /// </summary>
    public async Task<SendOutcome> FollowAsync(Action changed, CancellationToken cancellationToken)
    {
        if (!CanFollow || open.ConversationId is not { } id || open.LastReply is not { Id: { } replyId } reply)
        {
            return SendOutcome.NotSent;
        }

        open.Remove(reply);
        _runningReplyId = replyId;
        return await StreamAsync(token => client.FollowReplyAsync(id, replyId, token), changed, cancellationToken,
            stored => stored[^1].Id == replyId, reply.Sources);
    }

    /// <summary>
    /// Asks the gateway to stop the reply streaming now (saved as stopped). The caller also cancels its reading; a reply
    /// whose id was not known yet is stopped once the stored branch shows it (see <see cref="SyncAfterReplyAsync"/>).
    /// </summary>
    public async Task StopAsync()
    {
        _stopRequested = true;
        if (open.ConversationId is { } id && _runningReplyId is { } replyId)
        {
            _stopRequested = false;
            try
            {
                await client.StopReplyAsync(id, replyId);
            }
            catch (ChatQnAException exception)
            {
                errors.Log(exception);
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> to the open conversation (creating it first for a new chat, then calling
    /// <paramref name="created"/>) and streams the reply into <see cref="OpenConversation.Messages"/>.
    /// </summary>
    public async Task<SendOutcome> SendAsync(string text, Action changed, Func<Guid, Task> created, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(created);
        text = text?.Trim() ?? string.Empty;
        if (text.Length == 0 || open.IsSending)
        {
            return SendOutcome.NotSent;
        }

        errors.Dismiss();
        Guid id;
        var isNew = open.ConversationId is null;
        try
        {
            if (open.ConversationId is { } existing)
            {
                id = existing;
            }
            else
            {
                var settings = open.PendingSettings ?? new ConversationUpdate();
                var conversation = await client.CreateAsync(settings with { Model = open.SelectedModel }, cancellationToken);
                id = conversation.Id;
                open.Created(conversation);
                await created(id);
            }
        }
        catch (ChatQnAException exception)
        {
            errors.Show(exception, retry: null);
            return SendOutcome.Failed;
        }

        open.Add(DisplayedMessage.FromUser(text));
        // The gateway titles a new chat by its first message as it stores it (before it names the reply): show that title
        // in the list while the reply streams, made the same way, instead of asking for the list again.
        var storedTitle = isNew ? ConversationTitle.FromMessage(text) : null;
        return await StreamAsync(token => client.StreamChatAsync(id, text, open.SelectedModel, token), changed, cancellationToken,
            stored: null, knownSources: null, storedTitle);
    }

    /// <summary>Asks for a new version of the last reply (a sibling on the gateway) and streams it.</summary>
    public async Task<SendOutcome> RegenerateAsync(Action changed, CancellationToken cancellationToken)
    {
        if (open.IsSending || open.ConversationId is not { } id || open.LastReply is not { Id: { } replyId } reply)
        {
            return SendOutcome.NotSent;
        }

        errors.Dismiss();
        open.Remove(reply);
        // Until the new version is stored, the branch still ends in the old one: wait for a different reply.
        return await StreamAsync(token => client.StreamRegenerateAsync(id, replyId, token), changed, cancellationToken,
            stored => stored[^1].Id != replyId);
    }

    /// <summary>Edits a user message (a new branch on the gateway) and streams the answer to the new text.</summary>
    public async Task<SendOutcome> EditAsync(DisplayedMessage message, string text, Action changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        text = text?.Trim() ?? string.Empty;
        if (open.IsSending || text.Length == 0 || open.ConversationId is not { } id || message is not { Role: ChatRole.User, Id: { } messageId })
        {
            return SendOutcome.NotSent;
        }

        errors.Dismiss();
        BranchMessage edited;
        try
        {
            edited = await client.EditMessageAsync(id, messageId, text, cancellationToken);
        }
        catch (ChatQnAException exception)
        {
            errors.Show(exception, retry: null);
            return SendOutcome.Failed;
        }

        open.RemoveFrom(message);
        open.Add(OpenConversation.ToMessage(edited));
        return await StreamAsync(token => client.StreamRegenerateAsync(id, edited.Id, token), changed, cancellationToken,
            stored => stored[^1].ParentId == edited.Id);
    }

    private async Task<SendOutcome> StreamAsync(
        Func<CancellationToken, IAsyncEnumerable<ReplyPiece>> stream, Action changed, CancellationToken cancellationToken,
        Func<IReadOnlyList<BranchMessage>, bool>? stored = null, IReadOnlyList<RetrievedSource>? knownSources = null,
        string? storedTitle = null)
    {
        var reply = DisplayedMessage.StartReply();
        if (knownSources is { Count: > 0 })
        {
            reply.SetSources(knownSources);
        }

        open.Add(reply);
        open.IsSending = true;
        _stopRequested = false;
        changed();
        SendOutcome outcome;
        try
        {
            await foreach (var piece in stream(cancellationToken))
            {
                if (piece.ReplyId is { } replyId)
                {
                    _runningReplyId = replyId;
                    if (_stopRequested)
                    {
                        await StopAsync(); // Stop came before the gateway said which reply this is
                    }

                    if (storedTitle is not null && open.ConversationId is { } titled)
                    {
                        list.ShowStoredTitle(titled, storedTitle);
                    }
                }

                if (piece.Sources is { } sources)
                {
                    reply.SetSources(sources);
                }

                if (piece.Text is { } text)
                {
                    reply.Append(text);
                }

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
            errors.Log(exception);
            reply.End(ReplyState.CutOff);
            if (reply.IsEmpty)
            {
                open.Remove(reply);
            }

            errors.Show(exception, retry: null);
            outcome = SendOutcome.Failed;
        }
        finally
        {
            open.IsSending = false;
            _runningReplyId = null;
        }

        // The stored branch has the ids, statuses, models and token counts: show those.
        await SyncAfterReplyAsync(expectReply: !reply.IsEmpty || outcome != SendOutcome.Failed, stored);
        changed();
        return outcome;
    }

    private async Task SyncAfterReplyAsync(bool expectReply, Func<IReadOnlyList<BranchMessage>, bool>? isNewReply)
    {
        if (open.ConversationId is not { } id)
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
                if (_stopRequested && stored.Count > 0 && stored[^1] is { Role: "assistant", Status: "streaming" } running)
                {
                    // Stopped before the gateway said which reply it was: the branch says it now.
                    _stopRequested = false;
                    await client.StopReplyAsync(id, running.Id);
                    continue;
                }

                // Without a reply to wait for (the request was refused), what is stored now is the answer.
                var settled = !expectReply || (stored.Count > 0 && stored[^1].Status != "streaming"
                    && stored[^1].Role == "assistant" && (isNewReply is null || isNewReply(stored)));
                if (settled)
                {
                    open.ShowBranch(stored);
                    break;
                }

                await Task.Delay(100);
            }

            await list.ReloadAsync();
        }
        catch (ChatQnAException exception)
        {
            errors.Log(exception);
        }
    }
}
