using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.Opea;

namespace OpeaChat.Tests.Contracts;

/// <summary>Each expected value is what CPython 3 prints for <c>repr(text.encode("utf-8"))</c>.</summary>
public sealed class PythonBytesLiteralTests
{
    [Theory]
    [InlineData("Once", "b'Once'")]
    [InlineData(" café", @"b' caf\xc3\xa9'")]
    [InlineData("it's", "b\"it's\"")]
    [InlineData("say \"hi\"", "b'say \"hi\"'")]
    [InlineData("it's \"x\"", "b'it\\'s \"x\"'")]
    [InlineData("a\\b", @"b'a\\b'")]
    [InlineData("line\nnext\ttab\rret", @"b'line\nnext\ttab\rret'")]
    [InlineData("\u0001\u007f", @"b'\x01\x7f'")]
    [InlineData("", "b''")]
    [InlineData("😀", @"b'\xf0\x9f\x98\x80'")]
    public void Formats_like_python_repr(string text, string expected) =>
        Assert.Equal(expected, PythonBytesLiteral.Format(text));
}
