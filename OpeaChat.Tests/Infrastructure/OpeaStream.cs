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

    [GeneratedRegex("""^b('([^'\\]|\\.)*'|"([^"\\]|\\.)*")$""")]
    public static partial Regex BytesLiteral();

    /// <summary>Joins the text of Python bytes literals with the web client's decoder (the inverse of repr).</summary>
    public static string DecodeText(IEnumerable<string> literals) =>
        Encoding.UTF8.GetString(literals.SelectMany(literal => OpeaChat.Web.Chat.PythonBytesLiteral.Decode(literal)).ToArray());
}
