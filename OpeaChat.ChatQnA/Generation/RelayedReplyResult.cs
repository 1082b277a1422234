using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// A reply from inference relayed to the client as server-sent events, in the format of the door it came through,
/// and stored on its conversation (when it has one): its text saved in steps while it streams, and how it ended
/// before <c>[DONE]</c> (so a client that reads the conversation once the stream ends finds it), before the error
/// event, or when the client left. A reply whose end could not be saved ends with the error event, never [DONE].
/// </summary>
public abstract class RelayedReplyResult(ReplyStream reply, ConversationTurn? turn, ILogger logger) : IResult
{
    /// <summary>The error code of a reply that streamed but could not be kept.</summary>
    public const string SaveFailedCode = "reply_not_saved";

    protected ILogger Logger => logger;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ChatQnAEndpoints.SetTrimmedTurns(httpContext.Response, reply.TrimmedTurns);
        return EventStream.Of(RelayAsync()).ExecuteAsync(httpContext);
    }

    private async IAsyncEnumerable<SseItem<string>> RelayAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The token is the client's: when it leaves, disposing the upstream stream cancels generation there too.
        await using var _ = reply;
        var saved = false;
        try
        {
            foreach (var item in LeadingEvents())
            {
                yield return item;
            }

            await using var chunks = reply.ReadAllAsync().WithCancellation(cancellationToken).GetAsyncEnumerator();
            while (true)
            {
                SseItem<string>? failure = null;
                var more = false;
                try
                {
                    more = await chunks.MoveNextAsync();
                }
                catch (InferenceException exception)
                {
                    saved = true;
                    await ChatQnAEndpoints.TrySaveAsync(turn, reply, logger);
                    failure = ErrorEvent(exception.Message, exception.Code ?? "inference_failed");
                }

                if (failure is { } error)
                {
                    yield return error;
                    yield break;
                }

                if (!more)
                {
                    break;
                }

                foreach (var item in EventsFor(chunks.Current))
                {
                    yield return item;
                }

                turn?.SaveProgress(() => reply.Text);
            }

            saved = true;
            if (await ChatQnAEndpoints.TrySaveAsync(turn, reply, logger) is { } notSaved)
            {
                // The text streamed but is not kept (what was saved in steps stays, as failed after a restart).
                yield return ErrorEvent(NotSavedMessage(notSaved), SaveFailedCode);
                yield break;
            }

            yield return EventStream.Data(EventStream.Done);
        }
        finally
        {
            if (!saved)
            {
                await ChatQnAEndpoints.TrySaveAsync(turn, reply, logger);
            }
        }
    }

    private static string NotSavedMessage(Exception exception) => exception switch
    {
        ConversationStoreException { Error: ConversationStoreError.StorageFull } =>
            "The reply could not be saved: the conversation database is out of space. Free space and send the message again.",
        ConversationStoreException { Error: ConversationStoreError.StorageReadOnly } =>
            "The reply could not be saved: the conversation database is read-only. Make it writable and send the message again.",
        _ => "The reply could not be saved to the conversation; send the message again.",
    };

    /// <summary>Events before the reply's first chunk (the sources, where the door sends them that way).</summary>
    protected virtual IEnumerable<SseItem<string>> LeadingEvents() => [];

    /// <summary>The door's events for one chunk from inference (none, if the door leaves it out).</summary>
    protected abstract IEnumerable<SseItem<string>> EventsFor(ChatCompletionChunk chunk);

    /// <summary>The door's error event, which ends the stream after inference failed part-way or the reply could not be saved.</summary>
    protected abstract SseItem<string> ErrorEvent(string message, string code);
}
