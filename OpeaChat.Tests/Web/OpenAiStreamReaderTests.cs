using System.Text;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

public sealed class OpenAiStreamReaderTests
{
    private static async Task<List<string>> ReadAllAsync(string body)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(body));
        var pieces = new List<string>();
        await foreach (var piece in OpenAiStreamReader.ReadAsync(stream))
        {
            pieces.Add(piece);
        }

        return pieces;
    }

    [Fact]
    public async Task Reads_the_delta_text_of_each_chunk_until_done()
    {
        var pieces = await ReadAllAsync(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n" +
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n" +
            ": keep-alive\n\n" +
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" upon \\u00e9\"}}]}\n\n" +
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
            "data: {\"choices\":[],\"usage\":{\"completion_tokens\":2}}\n\n" +
            "data: [DONE]\n\n");

        Assert.Equal(["Once", " upon é"], pieces);
    }

    [Fact]
    public async Task An_error_event_throws_with_the_gateway_message()
    {
        var exception = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(
            "data: {\"choices\":[{\"delta\":{\"content\":\"Once\"}}]}\n\ndata: {\"error\":{\"message\":\"Inference failed.\"}}\n\n"));

        Assert.Equal("Inference failed.", exception.Message);
    }

    [Fact]
    public async Task A_stream_that_ends_without_done_is_cut_off()
    {
        var exception = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync("data: {\"choices\":[{\"delta\":{\"content\":\"Once\"}}]}\n\n"));

        Assert.Equal(ChatQnAFailure.CutOff, exception.Failure);
    }
}
