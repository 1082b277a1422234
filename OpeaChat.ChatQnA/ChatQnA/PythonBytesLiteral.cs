using System.Text;

namespace OpeaChat.ChatQnA.ChatQnA;

/// <summary>
/// Writes what Python's <c>repr()</c> prints for a <c>bytes</c> value. OPEA's gateway streams each text piece as
/// <c>data: {repr(piece.encode("utf-8"))}</c>, and OPEA's UIs parse exactly that, so this must match CPython byte for byte.
/// </summary>
public static class PythonBytesLiteral
{
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        // CPython uses double quotes only when the value has a single quote and no double quote.
        var quote = bytes.Contains((byte)'\'') && !bytes.Contains((byte)'"') ? '"' : '\'';
        var builder = new StringBuilder(bytes.Length + 3);
        builder.Append('b').Append(quote);
        foreach (var value in bytes)
        {
            switch (value)
            {
                case (byte)'\\':
                    builder.Append(@"\\");
                    break;
                case (byte)'\t':
                    builder.Append(@"\t");
                    break;
                case (byte)'\n':
                    builder.Append(@"\n");
                    break;
                case (byte)'\r':
                    builder.Append(@"\r");
                    break;
                default:
                    if (value == quote)
                    {
                        builder.Append('\\').Append(quote);
                    }
                    else if (value < 0x20 || value >= 0x7f)
                    {
                        builder.Append(@"\x").Append(value.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append((char)value);
                    }

                    break;
            }
        }

        return builder.Append(quote).ToString();
    }

    public static string Format(string text) => Format(Encoding.UTF8.GetBytes(text));
}
