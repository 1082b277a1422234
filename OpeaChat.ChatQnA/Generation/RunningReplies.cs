using System.Collections.Concurrent;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// The streamed replies the gateway is generating, by stored message id, so that a reloaded page (or a second tab)
/// can follow one and Stop can end it. On shutdown every one is stopped and saved before the host ends.
/// </summary>
public sealed class RunningReplies(ILogger<RunningReplies> logger) : IHostedService
{
    private readonly ConcurrentDictionary<RunningReply, byte> _all = new();
    private readonly ConcurrentDictionary<(Guid Conversation, Guid Reply), RunningReply> _stored = new();
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>
    /// Opens the reply (see <see cref="ChatQnAEndpoints.OpenAndBeginAsync"/>) and starts it running. Until its first
    /// chunk, the client leaving still cancels it; after that only the rules of <see cref="RunningReply"/> do.
    /// </summary>
    public async Task<RunningReply> OpenAsync(ChatService chat, ChatCompletionRequest request, ConversationTurn? turn, bool continuesWithoutClient, CancellationToken requestAborted)
    {
        ArgumentNullException.ThrowIfNull(chat);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        ReplyStream reply;
        try
        {
            using (requestAborted.Register(static state => ((CancellationTokenSource)state!).Cancel(), stop))
            {
                reply = await ChatQnAEndpoints.OpenAndBeginAsync(chat, request, turn, stop.Token);
            }
        }
        catch
        {
            stop.Dispose();
            throw;
        }

        var running = RunningReply.Create(reply, turn, stop, continuesWithoutClient, logger);
        _all[running] = 0;
        if (turn?.ReplyId is { } replyId)
        {
            _stored[(turn.ConversationId, replyId)] = running;
        }

        running.Run(Ended);
        return running;
    }

    /// <summary>The running reply stored as <paramref name="replyId"/> of the conversation, if it is running here.</summary>
    public RunningReply? Find(Guid conversationId, Guid replyId) =>
        _stored.TryGetValue((conversationId, replyId), out var running) && running.End is null ? running : null;

    private void Ended(RunningReply running)
    {
        _all.TryRemove(running, out _);
        if (running.ConversationId is { } conversation && running.ReplyId is { } reply)
        {
            _stored.TryRemove(new KeyValuePair<(Guid, Guid), RunningReply>((conversation, reply), running));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops every reply and waits (as long as the host allows) until each is saved as stopped.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _shutdown.CancelAsync();
        await Task.WhenAll(_all.Keys.Select(running => running.Completion)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
