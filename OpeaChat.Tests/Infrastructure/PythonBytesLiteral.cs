namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// Decodes the text of a Python <c>bytes</c> literal as written by <c>repr(b"...")</c>, for example
/// <c>b'caf\xc3\xa9'</c> or <c>b"it's"</c>. OPEA's ChatQnA megaservice sends every streamed piece this way.
/// </summary>
public static class PythonBytesLiteral
{
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
