using System.Text;

namespace OpeaChat.Contracts.Opea;

/// <summary>
/// Python's <c>repr()</c> of a <c>bytes</c> value, both ways. OPEA's gateway streams each text piece as
/// <c>data: {repr(piece.encode("utf-8"))}</c>, and OPEA's UIs parse exactly that, so <see cref="Format(ReadOnlySpan{byte})"/>
/// must match CPython byte for byte; <see cref="Decode"/> reads it back (clients, benchmarks, tests).
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

    /// <summary>The text of a stream's pieces: each literal decoded, the bytes joined, then read as UTF-8.</summary>
    public static string DecodeText(IEnumerable<string> literals) =>
        Encoding.UTF8.GetString(literals.SelectMany(literal => Decode(literal)).ToArray());

    /// <summary>Returns the bytes the literal stands for.</summary>
    /// <exception cref="FormatException">The text is not a well-formed Python bytes literal.</exception>
    public static byte[] Decode(ReadOnlySpan<char> literal)
    {
        if (literal.Length < 3 || literal[0] != 'b')
        {
            throw new FormatException("A Python bytes literal starts with b' or b\".");
        }

        var quote = literal[1];
        if ((quote != '\'' && quote != '"') || literal[^1] != quote)
        {
            throw new FormatException("A Python bytes literal is enclosed in matching quotes.");
        }

        var body = literal[2..^1];
        var result = new byte[body.Length]; // Escapes only ever shrink the text.
        var length = 0;
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\')
            {
                if (++i >= body.Length)
                {
                    throw new FormatException("A Python bytes literal cannot end with a lone backslash.");
                }

                result[length++] = DecodeEscape(body, ref i);
            }
            else if (c == quote)
            {
                throw new FormatException("An unescaped quote appears inside a Python bytes literal.");
            }
            else if (c is < ' ' or > '~')
            {
                throw new FormatException($"A Python bytes literal holds only printable ASCII; found U+{(int)c:X4}.");
            }
            else
            {
                result[length++] = (byte)c;
            }
        }

        return result.AsSpan(0, length).ToArray();
    }

    /// <summary>Decodes the escape whose letter is at <paramref name="i"/>; leaves <paramref name="i"/> on its last character.</summary>
    private static byte DecodeEscape(ReadOnlySpan<char> body, ref int i)
    {
        var letter = body[i];
        switch (letter)
        {
            case '\\': return (byte)'\\';
            case '\'': return (byte)'\'';
            case '"': return (byte)'"';
            case 'n': return (byte)'\n';
            case 't': return (byte)'\t';
            case 'r': return (byte)'\r';
            case 'a': return 0x07;
            case 'b': return 0x08;
            case 'f': return 0x0c;
            case 'v': return 0x0b;
            case 'x':
                if (i + 2 >= body.Length)
                {
                    throw new FormatException("\\x needs two hexadecimal digits.");
                }

                var high = HexValue(body[i + 1]);
                var low = HexValue(body[i + 2]);
                i += 2;
                return (byte)((high << 4) | low);
            case >= '0' and <= '7':
                // Octal escapes (\0, \12, \177): Python's repr() never writes them, but they are valid literals.
                var value = letter - '0';
                for (var digits = 1; digits < 3 && i + 1 < body.Length && body[i + 1] is >= '0' and <= '7'; digits++)
                {
                    value = (value * 8) + (body[++i] - '0');
                }

                return value <= 0xff
                    ? (byte)value
                    : throw new FormatException("An octal escape in a bytes literal must be at most \\377.");
            default:
                throw new FormatException($"Unknown escape \\{letter} in a Python bytes literal.");
        }
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => throw new FormatException($"'{c}' is not a hexadecimal digit in a \\x escape."),
    };
}
