using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// A running reply (<see cref="RunningReply"/>) relayed to one client as server-sent events, in the format of the door
/// it came through: its chunks, then <c>[DONE]</c> once the end is saved (so a client that reads the conversation once
/// the stream ends finds it), or the door's error event when inference failed part-way or the end could not be saved.
/// </summary>
public abstract class RelayedReplyResult(RunningReply reply, ILogger logger, bool fromStart = true) : IResult
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
        foreach (var item in LeadingEvents())
        {
            yield return item;
        }

        // The token is the client's: leaving stops the reply unless it continues without its client.
        await foreach (var chunk in reply.FollowAsync(fromStart, cancellationToken))
        {
            foreach (var item in EventsFor(chunk))
            {
                yield return item;
            }
        }

        var end = reply.End!;
        if (end.Failed)
        {
            yield return ErrorEvent(end.FailureMessage!, end.FailureCode ?? "inference_failed");
            yield break;
        }

        yield return EventStream.Data(EventStream.Done);
    }

    internal static string NotSavedMessage(Exception exception) => exception switch
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
