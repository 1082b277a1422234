using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace OpeaChat.Contracts.OpenAi;

/// <summary>
/// Reads OpenAI's streamed chat completion: <c>data: {chunk}</c> events ending with <c>data: [DONE]</c>; an event
/// <c>data: {"error": …}</c> (inference's and the gateway's failure part-way) ends it with an error.
/// </summary>
public static class ChatCompletionStream
{
    public const string Done = "[DONE]";

    /// <summary>The stream's chunks, in order.</summary>
    /// <param name="typeInfo">How to read a chunk: <see cref="OpenAiJsonContext.Default"/>'s (the default), or a tolerant one for other servers.</param>
    /// <exception cref="ChatCompletionStreamException">An error event came, or the stream ended before <c>[DONE]</c>.</exception>
    public static async IAsyncEnumerable<ChatCompletionChunk> ReadAsync(
        Stream stream, JsonTypeInfo<ChatCompletionChunk>? typeInfo = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        typeInfo ??= OpenAiJsonContext.Default.ChatCompletionChunk;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var data = item.Data.AsSpan().Trim();
            if (data.SequenceEqual(Done))
            {
                yield break;
            }

            if (IsError(data))
            {
                var error = JsonSerializer.Deserialize(data, TolerantOpenAiJson.TypeInfo<ErrorResponse>());
                throw new ChatCompletionStreamException(error?.Error);
            }

            if (JsonSerializer.Deserialize(data, typeInfo) is { } chunk)
            {
                yield return chunk;
            }
        }

        throw new ChatCompletionStreamException(null);
    }

    private static bool IsError(ReadOnlySpan<char> data) =>
        data.StartsWith("{") && data[1..].TrimStart().StartsWith("\"error\"", StringComparison.Ordinal);
}

/// <summary>A streamed completion that failed: the server's error event, or (with no <see cref="Error"/>) a stream cut short.</summary>
public sealed class ChatCompletionStreamException(ErrorBody? error)
    : Exception(error?.Message ?? "The reply was cut off: the stream ended before [DONE].")
{
    /// <summary>The server's error, or null when the stream ended without <c>[DONE]</c>.</summary>
    public ErrorBody? Error { get; } = error;
}
