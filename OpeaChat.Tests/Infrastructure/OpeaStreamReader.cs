using OpeaChat.Web.ChatQnA;
using System.Runtime.CompilerServices;
using System.Text;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// Reads the OPEA ChatQnA server-sent-event stream: one <c>data: b'...'</c> line per piece (a Python bytes
/// literal of the piece's UTF-8 bytes), ending with <c>data: [DONE]</c>.
/// </summary>
public static class OpeaStreamReader
{
    public const string DoneMarker = "[DONE]";

    private const string DataField = "data:";
    private const string EventField = "event:";

    /// <summary>
    /// The text pieces of the stream, in order. The UTF-8 decoder keeps its state across events, so a character
    /// whose bytes are split over two events comes out whole.
    /// </summary>
    /// <exception cref="ChatQnAException">
    /// <see cref="ChatQnAFailure.CutOff"/> when the stream ends or breaks before <c>[DONE]</c>;
    /// <see cref="ChatQnAFailure.InvalidReply"/> for a line that is not a bytes literal;
    /// <see cref="ChatQnAFailure.HttpError"/> for an error the gateway sent inside the stream
    /// (<c>event: error</c> with <c>data: {"detail": "..."}</c>).
    /// </exception>
    public static async IAsyncEnumerable<string> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var decoder = Encoding.UTF8.GetDecoder();
        string? eventName = null;
        while (true)
        {
            // Buffered text would otherwise be handed out even after the caller gave up.
            cancellationToken.ThrowIfCancellationRequested();
            var line = await ReadLineAsync(reader, cancellationToken).ConfigureAwait(false)
                ?? throw new ChatQnAException(ChatQnAFailure.CutOff, "The reply was cut off: the chat service closed the stream before it finished.");

            if (line.Length == 0)
            {
                eventName = null; // A blank line ends the event.
                continue;
            }

            if (line.StartsWith(EventField, StringComparison.Ordinal))
            {
                eventName = line[EventField.Length..].Trim();
                continue;
            }

            if (!line.StartsWith(DataField, StringComparison.Ordinal))
            {
                continue; // ":" comments and the other SSE fields (id, retry) carry no text.
            }

            var payload = line.AsSpan(DataField.Length);
            if (payload.StartsWith(" "))
            {
                payload = payload[1..];
            }

            if (eventName == "error" || payload.StartsWith("{"))
            {
                // The gateway failed part-way: "event: error" with data {"detail": "..."}, and no [DONE].
                var detail = payload.ToString();
                throw new ChatQnAException(
                    ChatQnAFailure.HttpError,
                    OpeaErrorDetail.Read(detail) ?? "The chat service reported an error in the middle of the reply.");
            }

            if (payload.SequenceEqual(DoneMarker))
            {
                var rest = DecodeText(decoder, [], flush: true);
                if (rest.Length > 0)
                {
                    yield return rest;
                }

                yield break;
            }

            var text = DecodeText(decoder, DecodePayload(payload), flush: false);
            if (text.Length > 0)
            {
                yield return text;
            }
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            // HttpIOException included: the connection broke in the middle of the reply.
            throw new ChatQnAException(ChatQnAFailure.CutOff, "The reply was cut off: the connection to the chat service broke.", innerException: exception);
        }
    }

    private static byte[] DecodePayload(ReadOnlySpan<char> payload)
    {
        try
        {
            return PythonBytesLiteral.Decode(payload);
        }
        catch (FormatException exception)
        {
            throw new ChatQnAException(
                ChatQnAFailure.InvalidReply,
                $"The chat service sent a piece of the reply this page cannot read ({exception.Message})",
                innerException: exception);
        }
    }

    private static string DecodeText(Decoder decoder, byte[] bytes, bool flush)
    {
        var chars = new char[decoder.GetCharCount(bytes, flush)];
        var count = decoder.GetChars(bytes, chars, flush);
        return new string(chars, 0, count);
    }
}
