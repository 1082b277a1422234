using System.Net.ServerSentEvents;
using System.Text.RegularExpressions;
using OpeaChat.Contracts.Opea;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Reads OPEA's event stream in tests: each event's data as sent (System.Net.ServerSentEvents), and its text.</summary>
public static partial class OpeaStream
{
    public static async Task<IReadOnlyList<string>> ReadDataLinesAsync(HttpResponseMessage response)
    {
        var lines = new List<string>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            lines.Add(item.Data);
        }

        return lines;
    }

    /// <summary>
    /// Posts <paramref name="body"/> and reads events only up to <c>[DONE]</c>, leaving the rest of the response
    /// unread, as a browser client that stops at [DONE] does.
    /// </summary>
    public static async Task<IReadOnlyList<string>> PostAndReadUntilDoneAsync(HttpClient client, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = System.Net.Http.Json.JsonContent.Create(body) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var lines = new List<string>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            lines.Add(item.Data);
            if (item.Data == ChatQnAStream.Done)
            {
                break;
            }
        }

        return lines;
    }

    [GeneratedRegex("""^b('([^'\\]|\\.)*'|"([^"\\]|\\.)*")$""")]
    public static partial Regex BytesLiteral();
}
