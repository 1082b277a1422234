using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// A reply from inference relayed to the client as server-sent events, in the format of the door it came through,
/// and stored on its conversation (when it has one) with the text so far, however it ends: before <c>[DONE]</c>, so a
/// client that reads the conversation once the stream ends finds it; before the error event; or when the client left.
/// </summary>
public abstract class RelayedReplyResult(ReplyStream reply, ConversationTurn? turn, ILogger logger) : IResult
{
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
                    await ChatQnAEndpoints.SaveQuietlyAsync(turn, reply, logger);
                    failure = FailureEvent(exception);
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
            }

            saved = true;
            await ChatQnAEndpoints.SaveQuietlyAsync(turn, reply, logger);
            yield return EventStream.Data(EventStream.Done);
        }
        finally
        {
            if (!saved)
            {
                await ChatQnAEndpoints.SaveQuietlyAsync(turn, reply, logger);
            }
        }
    }

    /// <summary>Events before the reply's first chunk (the sources, where the door sends them that way).</summary>
    protected virtual IEnumerable<SseItem<string>> LeadingEvents() => [];

    /// <summary>The door's events for one chunk from inference (none, if the door leaves it out).</summary>
    protected abstract IEnumerable<SseItem<string>> EventsFor(ChatCompletionChunk chunk);

    /// <summary>The door's error event, which ends the stream after inference failed part-way.</summary>
    protected abstract SseItem<string> FailureEvent(InferenceException exception);
}
