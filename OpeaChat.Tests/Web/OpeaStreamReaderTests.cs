using System.Text;
using OpeaChat.Tests.Infrastructure;
using OpeaChat.Web.ChatQnA;

namespace OpeaChat.Tests.Web;

public sealed class OpeaStreamReaderTests
{
    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<List<string>> ReadAllAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var pieces = new List<string>();
        await foreach (var piece in OpeaStreamReader.ReadAsync(stream, cancellationToken))
        {
            pieces.Add(piece);
        }

        return pieces;
    }

    [Fact]
    public async Task Yields_each_piece_in_order_and_stops_at_done()
    {
        using var stream = Stream("data: b'Once'\n\ndata: b' upon'\n\ndata: b\" it's\"\n\ndata: b' a\\ntime'\n\ndata: [DONE]\n\n");

        var pieces = await ReadAllAsync(stream);

        Assert.Equal(["Once", " upon", " it's", " a\ntime"], pieces);
    }

    [Fact]
    public async Task Joins_a_utf8_character_split_across_two_events()
    {
        // "é" is C3 A9: the first event ends with C3, the next starts with A9.
        using var stream = Stream("data: b' caf\\xc3'\n\ndata: b'\\xa9 au lait'\n\ndata: [DONE]\n\n");

        var pieces = await ReadAllAsync(stream);

        Assert.Equal(" café au lait", string.Concat(pieces));
        Assert.Equal([" caf", "é au lait"], pieces);
        Assert.DoesNotContain(pieces, piece => piece.Contains('\uFFFD', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Joins_a_four_byte_character_split_over_three_events()
    {
        using var stream = Stream("data: b'\\xf0\\x9f'\n\ndata: b'\\x98'\n\ndata: b'\\x80!'\n\ndata: [DONE]\n\n");

        Assert.Equal("😀!", string.Concat(await ReadAllAsync(stream)));
    }

    [Fact]
    public async Task Accepts_crlf_lines_comments_and_other_fields()
    {
        using var stream = Stream(": keep-alive\r\n\r\nevent: message\r\nid: 1\r\ndata: b'a'\r\n\r\ndata:b'b'\r\n\r\ndata: [DONE]\r\n\r\n");

        Assert.Equal(["a", "b"], await ReadAllAsync(stream));
    }

    [Fact]
    public async Task Ignores_anything_after_done()
    {
        using var stream = Stream("data: b'x'\n\ndata: [DONE]\n\ndata: b'not this'\n\n");

        Assert.Equal(["x"], await ReadAllAsync(stream));
    }

    [Fact]
    public async Task A_stream_without_done_is_reported_as_cut_off_after_the_text_that_came()
    {
        using var stream = Stream("data: b'Once'\n\ndata: b' upon'\n\n");
        var pieces = new List<string>();

        var error = await Assert.ThrowsAsync<ChatQnAException>(async () =>
        {
            await foreach (var piece in OpeaStreamReader.ReadAsync(stream))
            {
                pieces.Add(piece);
            }
        });

        Assert.Equal(ChatQnAFailure.CutOff, error.Failure);
        Assert.Contains("cut off", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["Once", " upon"], pieces);
    }

    [Fact]
    public async Task An_empty_stream_is_cut_off()
    {
        using var stream = Stream(string.Empty);

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(stream));

        Assert.Equal(ChatQnAFailure.CutOff, error.Failure);
    }

    [Fact]
    public async Task A_broken_connection_is_cut_off()
    {
        using var stream = new BreakingStream(Encoding.UTF8.GetBytes("data: b'Once'\n\n"));

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(stream));

        Assert.Equal(ChatQnAFailure.CutOff, error.Failure);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public async Task A_line_that_is_not_a_bytes_literal_is_an_invalid_reply()
    {
        using var stream = Stream("data: b'ok'\n\ndata: hello\n\ndata: [DONE]\n\n");

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(stream));

        Assert.Equal(ChatQnAFailure.InvalidReply, error.Failure);
        Assert.IsType<FormatException>(error.InnerException);
    }

    [Fact]
    public async Task An_error_object_inside_the_stream_carries_its_message()
    {
        using var stream = Stream("data: b'ok'\n\ndata: {\"detail\":\"Inference stopped: out of memory\"}\n\n");

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(stream));

        Assert.Equal(ChatQnAFailure.HttpError, error.Failure);
        Assert.Equal("Inference stopped: out of memory", error.Message);
    }

    [Fact]
    public async Task An_error_event_part_way_carries_the_gateways_detail_after_the_text_that_came()
    {
        using var stream = Stream("data: b'Once'\n\nevent: error\ndata: {\"detail\":\"Generation failed: context is full.\"}\n\n");
        var pieces = new List<string>();

        var error = await Assert.ThrowsAsync<ChatQnAException>(async () =>
        {
            await foreach (var piece in OpeaStreamReader.ReadAsync(stream))
            {
                pieces.Add(piece);
            }
        });

        Assert.Equal(["Once"], pieces);
        Assert.Equal(ChatQnAFailure.HttpError, error.Failure);
        Assert.Equal("Generation failed: context is full.", error.Message);
    }

    [Fact]
    public async Task An_error_event_with_plain_text_data_is_still_an_error()
    {
        using var stream = Stream("event: error\ndata: something broke\n\n");

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(stream));

        Assert.Equal("something broke", error.Message);
    }

    [Fact]
    public async Task Honours_cancellation()
    {
        using var stream = Stream("data: b'a'\n\ndata: b'b'\n\ndata: [DONE]\n\n");
        using var cancellation = new CancellationTokenSource();
        var pieces = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var piece in OpeaStreamReader.ReadAsync(stream, cancellation.Token))
            {
                pieces.Add(piece);
                await cancellation.CancelAsync();
            }
        });

        Assert.Equal(["a"], pieces);
    }

    /// <summary>Gives its bytes, then fails the way a dropped HTTP connection does.</summary>
    private sealed class BreakingStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position < Length
                ? base.ReadAsync(buffer, cancellationToken)
                : ValueTask.FromException<int>(new IOException("The response ended prematurely."));

        public override int Read(byte[] buffer, int offset, int count) =>
            Position < Length ? base.Read(buffer, offset, count) : throw new IOException("The response ended prematurely.");
    }
}
