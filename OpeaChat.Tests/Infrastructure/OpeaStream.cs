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

    /// <summary>Decodes the text of Python bytes literals (the inverse of repr) and joins them.</summary>
    public static string DecodeText(IEnumerable<string> literals)
    {
        var bytes = new List<byte>();
        foreach (var literal in literals)
        {
            var body = literal[2..^1];
            for (var i = 0; i < body.Length; i++)
            {
                if (body[i] != '\\')
                {
                    bytes.Add((byte)body[i]);
                    continue;
                }

                var escaped = body[++i];
                switch (escaped)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case 'x':
                        bytes.Add(Convert.ToByte(body.Substring(i + 1, 2), 16));
                        i += 2;
                        break;
                    default: bytes.Add((byte)escaped); break;
                }
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
