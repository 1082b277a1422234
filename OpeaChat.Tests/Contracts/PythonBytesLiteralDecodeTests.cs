using System.Text;
using OpeaChat.Contracts.Opea;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Contracts;

/// <summary>The contract's reader of OPEA's stream pieces (<see cref="PythonBytesLiteral.Decode"/>). Each literal is what CPython 3 prints for <c>repr(text.encode("utf-8"))</c>.</summary>
public sealed class PythonBytesLiteralDecodeTests
{
    [Theory]
    [InlineData("b'Once'", "Once")]
    [InlineData("b' upon a time'", " upon a time")]
    [InlineData(@"b' caf\xc3\xa9'", " café")]
    [InlineData("b\"it's\"", "it's")]
    [InlineData("b'say \"hi\"'", "say \"hi\"")]
    [InlineData(@"b'it\'s ""x""'", "it's \"x\"")]
    [InlineData(@"b'\\'", "\\")]
    [InlineData(@"b'a\\nb'", "a\\nb")]
    [InlineData(@"b'a\nb'", "a\nb")]
    [InlineData(@"b'tab\there'", "tab\there")]
    [InlineData(@"b'cr\rlf\n'", "cr\rlf\n")]
    [InlineData(@"b'\x01\x7f'", "\u0001\u007f")]
    [InlineData(@"b'\xf0\x9f\x98\x80'", "😀")]
    [InlineData("b''", "")]
    [InlineData("b\"\"", "")]
    public void Decodes_what_python_repr_writes(string literal, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(PythonBytesLiteral.Decode(literal)));

    [Fact]
    public void Decodes_hex_escapes_to_raw_bytes_even_when_they_are_not_valid_utf8()
    {
        // The first half of "é": a piece may end in the middle of a character.
        Assert.Equal(new byte[] { 0x20, 0x63, 0xc3 }, PythonBytesLiteral.Decode(@"b' c\xc3'"));
        Assert.Equal(new byte[] { 0xAB, 0xcd }, PythonBytesLiteral.Decode(@"b'\xAB\xcd'"));
    }

    [Fact]
    public void Decodes_the_rarer_escapes_python_accepts()
    {
        Assert.Equal(new byte[] { 0x07, 0x08, 0x0c, 0x0b, 0x00, 0x0a, 0x7f }, PythonBytesLiteral.Decode(@"b'\a\b\f\v\0\12\177'"));
        Assert.Equal(new byte[] { (byte)'"' }, PythonBytesLiteral.Decode("b'\\\"'"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("b'")]
    [InlineData("'text'")]
    [InlineData("u'text'")]
    [InlineData("b'text\"")]
    [InlineData("b'text")]
    [InlineData("b'it's'")]
    [InlineData(@"b'ends with \'")]
    [InlineData(@"b'\x4'")]
    [InlineData(@"b'\xzz'")]
    [InlineData(@"b'\q'")]
    [InlineData(@"b'\777'")]
    [InlineData("b'caf\u00e9'")]
    [InlineData("b'tab\tinside'")]
    public void Rejects_text_that_is_not_a_bytes_literal(string literal) =>
        Assert.Throws<FormatException>(() => PythonBytesLiteral.Decode(literal));
}
