using OpeaChat.ChatQnA.ChatQnA;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.OpenAi;

namespace OpeaChat.ChatQnA.Inference;

/// <summary>
/// A reply from inference relayed to the client as server-sent events, in the format of the door it came through,
/// and stored on its conversation (when it has one) with the text so far, however it ends: before <c>[DONE]</c>, so a
/// client that reads the conversation once the stream ends finds it; before the error event; or when the client left.
/// </summary>
public abstract class RelayedReplyResult(ReplyStream reply, ConversationTurn? turn, ILogger logger) : IResult
{
    protected ILogger Logger => logger;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        ServerSentEvents.Start(response);
        ChatQnAEndpoints.SetTrimmedTurns(response, reply.TrimmedTurns);
        await using (reply)
        {
            var saved = false;
            try
            {
                await foreach (var chunk in reply.ReadAllAsync().WithCancellation(cancellationToken))
                {
                    await WriteChunkAsync(response, chunk, cancellationToken);
                }

                saved = true;
                await ChatQnAEndpoints.SaveQuietlyAsync(turn, reply, logger);
                await ServerSentEvents.WriteDoneAsync(response, cancellationToken);
            }
            catch (InferenceException exception)
            {
                saved = true;
                await ChatQnAEndpoints.SaveQuietlyAsync(turn, reply, logger);
                await WriteFailureAsync(response, exception, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client left; disposing the upstream stream cancels generation there too.
            }
            finally
            {
                if (!saved)
                {
                    await ChatQnAEndpoints.SaveQuietlyAsync(turn, reply, logger);
                }
            }
        }
    }

    /// <summary>Writes one chunk from inference in the door's format (or nothing, if the door leaves it out).</summary>
    protected abstract Task WriteChunkAsync(HttpResponse response, ChatCompletionChunk chunk, CancellationToken cancellationToken);

    /// <summary>Ends the stream with the door's error event after inference failed part-way.</summary>
    protected abstract Task WriteFailureAsync(HttpResponse response, InferenceException exception, CancellationToken cancellationToken);
}
