using System.Runtime.CompilerServices;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// The text of a streamed chat completion from the gateway (the contract's <see cref="ChatCompletionStream"/>), with
/// its failures as this page reports them: an error event or a stream without <c>[DONE]</c> throws
/// <see cref="ChatQnAException"/>.
/// </summary>
public static class OpenAiStreamReader
{
    /// <summary>The reply's text, piece by piece.</summary>
    public static async IAsyncEnumerable<string> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var piece in ReadPiecesAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            if (piece.Text is { Length: > 0 } text)
            {
                yield return text;
            }
        }
    }

    /// <summary>The reply's text and the sources the gateway puts on a chunk (the first, when it answers from documents).</summary>
    public static async IAsyncEnumerable<ReplyPiece> ReadPiecesAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // The gateway's chunks, read leniently: only the text and the sources matter here.
        await using var chunks = ChatCompletionStream.ReadAsync(stream, TolerantOpenAiJson.TypeInfo<ChatCompletionChunk>(), cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await chunks.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (ChatCompletionStreamException exception) when (exception.Error is null)
            {
                throw new ChatQnAException(ChatQnAFailure.CutOff, "The reply was cut off: the chat service closed the stream before it ended.", innerException: exception);
            }
            catch (ChatCompletionStreamException exception)
            {
                throw new ChatQnAException(ChatQnAFailure.HttpError, string.IsNullOrWhiteSpace(exception.Error!.Message) ? "The reply failed." : exception.Error.Message, innerException: exception);
            }
            catch (JsonException exception)
            {
                throw new ChatQnAException(ChatQnAFailure.InvalidReply, "The chat service sent a reply this page cannot read.", innerException: exception);
            }

            var text = chunks.Current.Choices is [{ Delta.Content: { Length: > 0 } piece }, ..] ? piece : null;
            var sources = chunks.Current.Sources is { Count: > 0 } found ? found : null;
            if (text is not null || sources is not null)
            {
                yield return new ReplyPiece(text, sources);
            }
        }
    }
}
