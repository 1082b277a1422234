using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using OpeaChat.Web.Chat;

namespace OpeaChat.Web.ChatQnA;

/// <summary>
/// Reads an OpenAI chat-completion event stream (<c>data: {chunk}</c> lines ending with <c>data: [DONE]</c>) and
/// yields the text of each <c>choices[0].delta.content</c>. A <c>data: {"error":…}</c> event or a stream that ends
/// without <c>[DONE]</c> throws <see cref="ChatQnAException"/>.
/// </summary>
public static class OpenAiStreamReader
{
    public static async IAsyncEnumerable<string> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue; // Blank separators, comments and other fields.
            }

            var data = line.AsSpan(5).Trim().ToString();
            if (data == "[DONE]")
            {
                yield break;
            }

            if (data.Length == 0)
            {
                continue;
            }

            var piece = ReadPiece(data);
            if (!string.IsNullOrEmpty(piece))
            {
                yield return piece;
            }
        }

        throw new ChatQnAException(ChatQnAFailure.CutOff, "The reply was cut off: the chat service closed the stream before it ended.");
    }

    internal static string? ReadPiece(string data)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException exception)
        {
            throw new ChatQnAException(ChatQnAFailure.InvalidReply, "The chat service sent a reply this page cannot read.", innerException: exception);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("error", out _))
            {
                throw new ChatQnAException(ChatQnAFailure.HttpError, OpeaErrorDetail.Read(data) ?? "The reply failed.");
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            {
                return content.GetString();
            }

            return null;
        }
    }
}
