using System.Net;
using System.Text;
using Bunit;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Chat;
using OpeaChat.Web.Gateway;
using static OpeaChat.Tests.Web.TestTab;

namespace OpeaChat.Tests.Web;

/// <summary>A reply's sources: read from the first streamed chunk and from the stored messages, shown as numbered citations.</summary>
public sealed class CitationsTests : DocumentsTestContext
{
    private const string SourcesJson = """
        [{"id":"c-7","document":"facts.txt","document_id":"doc-1","index_name":"default","chunk":0,"page":2,"heading":"Geography","score":0.8731,"text":"Zorblat's capital is Quux. <script>alert(1)</script>"},
         {"id":"c-9","document":"atlas.md","document_id":"doc-2","index_name":"default","chunk":4,"page":null,"heading":null,"score":0.41,"text":"Rivers."}]
        """;

    protected override HttpResponseMessage Respond(HttpRequestMessage request) => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
    {
        ("POST", "/v1/chat/completions") => FakeGateway.Respond(HttpStatusCode.OK,
            $"data: {{\"choices\":[{{\"delta\":{{\"role\":\"assistant\"}}}}],\"sources\":{SourcesJson.ReplaceLineEndings(string.Empty)}}}\n\n" +
            "data: {\"choices\":[{\"delta\":{\"content\":\"Quux [1].\"}}]}\n\ndata: [DONE]\n\n", "text/event-stream"),
        ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Quux [1].")
            .Replace("\"sibling_ids\":[\"" + ReplyId + "\"]", "\"sibling_ids\":[\"" + ReplyId + "\"],\"sources\":" + SourcesJson.ReplaceLineEndings(string.Empty), StringComparison.Ordinal)),
        ("GET", "/v1/conversations") => Json(ListJson("Hi")),
        _ => Json(ConversationJson("Hi")),
    };

    private static IReadOnlyList<RetrievedSource> Sources() =>
    [
        new() { Id = "c-7", Document = "facts.txt", IndexName = "default", Page = 2, Heading = "Geography", Score = 0.8731, Text = "Zorblat's capital is Quux. <script>alert(1)</script>" },
        new() { Id = "c-9", Document = "atlas.md", IndexName = "default", Chunk = 4, Score = 0.41, Text = "Rivers." },
    ];

    [Fact]
    public async Task The_stream_reader_hands_out_the_first_chunks_sources_and_its_text_reader_still_only_text()
    {
        var body = $"data: {{\"choices\":[{{\"delta\":{{\"role\":\"assistant\"}}}}],\"sources\":{SourcesJson.ReplaceLineEndings(string.Empty)}}}\n\ndata: {{\"choices\":[{{\"delta\":{{\"content\":\"Quux\"}}}}]}}\n\ndata: [DONE]\n\n";
        var pieces = new List<ReplyPiece>();
        await foreach (var piece in OpenAiStreamReader.ReadPiecesAsync(new MemoryStream(Encoding.UTF8.GetBytes(body))))
        {
            pieces.Add(piece);
        }

        Assert.Equal(2, pieces.Count);
        Assert.Equal(["facts.txt", "atlas.md"], pieces[0].Sources!.Select(source => source.Document));
        Assert.Null(pieces[0].Text);
        Assert.Equal(("Quux", null), (pieces[1].Text, pieces[1].Sources));
        var text = new List<string>();
        await foreach (var piece in OpenAiStreamReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body))))
        {
            text.Add(piece);
        }

        Assert.Equal(["Quux"], text);
    }

    [Fact]
    public async Task A_reply_has_its_sources_while_it_streams_and_keeps_the_stored_ones_after()
    {
        var tab = new TestTab(Respond);
        await tab.Open.OpenAsync(Id);
        IReadOnlyList<string>? whileStreaming = null;

        await tab.Replies.SendAsync("Capital?", () =>
        {
            if (tab.Open.LastReply is { State: ReplyState.Streaming, Sources.Count: > 0 } streaming)
            {
                whileStreaming ??= streaming.Sources.Select(source => source.Id).ToList();
            }
        }, _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(["c-7", "c-9"], whileStreaming);
        var stored = tab.Open.LastReply!;
        Assert.Equal((ReplyId, ReplyState.Complete), (stored.Id!.Value, stored.State));
        Assert.Equal(["c-7", "c-9"], stored.Sources.Select(source => source.Id));
    }

    [Fact]
    public void A_reply_with_sources_shows_one_numbered_citation_per_source_in_order()
    {
        var reply = DisplayedMessage.FromStored(ReplyId, "assistant", "Quux [1].", "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0, sources: Sources());

        var item = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, reply).Add(p => p.IsLast, true));

        var citations = item.FindAll(".message-citations button.citation");
        Assert.Equal(["[1]", "[2]"], citations.Select(button => button.QuerySelector(".citation-number")!.TextContent));
        Assert.Equal(["Source 1: facts.txt", "Source 2: atlas.md"], citations.Select(button => button.GetAttribute("aria-label")));
    }

    [Fact]
    public void A_reply_without_sources_shows_no_citations()
    {
        var reply = DisplayedMessage.FromStored(ReplyId, "assistant", "Once upon a time.", "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0);

        var item = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, reply));

        Assert.Empty(item.FindAll(".message-citations"));
    }

    [Fact]
    public void Opening_a_citation_shows_the_chunk_with_its_document_page_heading_and_score_as_text()
    {
        var providers = Render<FluentProviders>();
        var reply = DisplayedMessage.FromStored(ReplyId, "assistant", "Quux [1].", "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0, sources: Sources());
        var item = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, reply));

        item.Find("button.citation[data-number='1']").Click();

        providers.WaitForAssertion(() =>
        {
            Assert.Equal("facts.txt", providers.Find(".citation-document").TextContent);
            Assert.Equal("2", providers.Find(".citation-page").TextContent);
            Assert.Equal("Geography", providers.Find(".citation-heading").TextContent);
            Assert.Equal("0.873", providers.Find(".citation-score").TextContent);
        });
        var text = providers.Find(".citation-text");
        Assert.Equal("Zorblat's capital is Quux. <script>alert(1)</script>", text.TextContent);
        Assert.Empty(text.QuerySelectorAll("script")); // Text, never markup.
        Assert.Contains("Source [1]", providers.Markup, StringComparison.Ordinal);
    }
}
