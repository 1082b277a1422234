using System.Text;
using System.Text.RegularExpressions;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Reads OPEA's event stream in tests: the raw data lines, and the text they carry.</summary>
public static partial class OpeaStream
{
    public static async Task<IReadOnlyList<string>> ReadDataLinesAsync(HttpResponseMessage response)
    {
        var lines = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                lines.Add(line[6..]);
            }
        }

        return lines;
    }

    /// <summary>
    /// Posts <paramref name="body"/> and reads data lines only up to <c>[DONE]</c>, leaving the rest of the response
    /// unread, as a browser client that stops at [DONE] does.
    /// </summary>
    public static async Task<IReadOnlyList<string>> PostAndReadUntilDoneAsync(HttpClient client, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = System.Net.Http.Json.JsonContent.Create(body) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var lines = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                lines.Add(line[6..]);
                if (line == "data: [DONE]")
                {
                    break;
                }
            }
        }

        return lines;
    }

    [GeneratedRegex("""^b('([^'\\]|\\.)*'|"([^"\\]|\\.)*")$""")]
    public static partial Regex BytesLiteral();

    /// <summary>Joins the text of Python bytes literals with the web client's decoder (the inverse of repr).</summary>
    public static string DecodeText(IEnumerable<string> literals) =>
        Encoding.UTF8.GetString(literals.SelectMany(literal => PythonBytesLiteral.Decode(literal)).ToArray());
}
