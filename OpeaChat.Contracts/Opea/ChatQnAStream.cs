using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace OpeaChat.Contracts.Opea;

/// <summary>
/// Reads OPEA's <c>/v1/chatqna</c> stream: <c>data: b'…'</c> events (Python's repr of each piece's UTF-8 bytes) ending
/// with <c>data: [DONE]</c>; <c>event: error</c> with <c>{"detail": …}</c> ends it with an error. Other named events
/// (which OPEA's own UI ignores too) are passed over.
/// </summary>
public static class ChatQnAStream
{
    public const string Done = "[DONE]";
    public const string ErrorEvent = "error";

    /// <summary>Each event's data as sent (the bytes literals), up to <c>[DONE]</c>.</summary>
    /// <exception cref="ChatQnAStreamException">An error event came, or the stream ended before <c>[DONE]</c>.</exception>
    public static async IAsyncEnumerable<string> ReadLiteralsAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            // Events already buffered would otherwise be handed out after the caller gave up.
            cancellationToken.ThrowIfCancellationRequested();

            // FastAPI's error object ({"detail": …}) in place of a piece is an error too, named event or not.
            if (item.EventType == ErrorEvent || item.Data.StartsWith('{'))
            {
                throw new ChatQnAStreamException(ReadDetail(item.Data));
            }

            if (item.EventType != SseParser.EventTypeDefault)
            {
                continue;
            }

            if (item.Data == Done)
            {
                yield break;
            }

            yield return item.Data;
        }

        throw new ChatQnAStreamException(null);
    }

    /// <summary>Each piece's text. A character split across two pieces comes out whole, with the later piece.</summary>
    public static async IAsyncEnumerable<string> ReadTextAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var decoder = System.Text.Encoding.UTF8.GetDecoder();
        var chars = new char[256];
        await foreach (var literal in ReadLiteralsAsync(stream, cancellationToken))
        {
            var bytes = PythonBytesLiteral.Decode(literal);
            if (chars.Length < bytes.Length + 4)
            {
                chars = new char[bytes.Length + 4];
            }

            var count = decoder.GetChars(bytes, chars, flush: false);
            if (count > 0)
            {
                yield return new string(chars, 0, count);
            }
        }
    }

    private static string? ReadDetail(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return document.RootElement.TryGetProperty("detail", out var detail)
                ? detail.ValueKind == JsonValueKind.String ? detail.GetString() : detail.GetRawText()
                : data;
        }
        catch (JsonException)
        {
            return data;
        }
    }
}

/// <summary>An OPEA stream that failed: the gateway's error event (its detail), or (with none) a stream cut short.</summary>
public sealed class ChatQnAStreamException(string? detail)
    : Exception(detail ?? "The answer was cut off: the stream ended before [DONE].")
{
    /// <summary>The error event's <c>detail</c>, or null when the stream ended without <c>[DONE]</c>.</summary>
    public string? Detail { get; } = detail;
}
