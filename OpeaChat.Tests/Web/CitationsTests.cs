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

    [Fact]
    public void The_replys_markers_of_its_sources_become_buttons_for_those_citations_and_other_numbers_stay_text()
    {
        var reply = DisplayedMessage.FromStored(ReplyId, "assistant", "Quux [1], with rivers [2]; not [3] nor [0].", "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0, sources: Sources());

        var item = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, reply));

        var markers = item.FindAll(".message-markdown button.citation-marker");
        Assert.Equal(["[1]", "[2]"], markers.Select(marker => marker.TextContent));
        Assert.Equal(["Source 1: facts.txt", "Source 2: atlas.md"], markers.Select(marker => marker.GetAttribute("aria-label")));
        Assert.All(markers, marker => Assert.Equal("button", marker.GetAttribute("type")));
        // Each points at its numbered citation under the reply, whose click opens the dialog (app.js passes it on).
        var citations = item.FindAll(".message-citations button.citation");
        Assert.Equal(citations.Select(citation => citation.Id), markers.Select(marker => marker.GetAttribute("data-citation-for")));
        Assert.Equal("Quux [1], with rivers [2]; not [3] nor [0].", item.Find(".message-markdown").TextContent.Trim());
    }

    [Fact]
    public void Markers_in_code_and_links_and_replies_without_sources_stay_text()
    {
        const string Text = "Inline `see [1]`, a [link [2]](https://example.com), and after it [1].\n\n```\nlist[1] = 2\n```";
        var cited = DisplayedMessage.FromStored(ReplyId, "assistant", Text, "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0, sources: Sources());
        var plain = DisplayedMessage.FromStored(Guid.NewGuid(), "assistant", "Quux [1].", "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0);

        var item = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, cited));
        var withoutSources = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, plain));

        var marker = Assert.Single(item.FindAll(".message-markdown button.citation-marker"));
        Assert.Equal("and after it [1].", (marker.PreviousSibling!.TextContent + marker.TextContent + marker.NextSibling!.TextContent).Trim(' ', ','));
        Assert.Empty(item.FindAll(".message-markdown :is(code, pre, a) button"));
        Assert.Equal("see [1]", item.Find(".message-markdown p code").TextContent);
        Assert.Contains("list[1] = 2", item.Find(".message-markdown pre").TextContent, StringComparison.Ordinal);
        Assert.Empty(withoutSources.FindAll("button.citation-marker"));
        Assert.Contains("Quux [1].", withoutSources.Find(".message-markdown").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_document_name_with_markup_is_only_text_in_its_markers_label()
    {
        IReadOnlyList<RetrievedSource> sources = [new() { Id = "c-1", Document = "<img src=x onerror=alert(1)>\".txt", IndexName = "default", Text = "x" }];
        var reply = DisplayedMessage.FromStored(ReplyId, "assistant", "See [1].", "complete", "m", DateTimeOffset.UnixEpoch, 3, 9, 1, 0, sources: sources);

        var item = Render<ChatMessageItem>(parameters => parameters.Add(p => p.Message, reply));

        Assert.Empty(item.FindAll(".message-markdown img"));
        Assert.Equal("Source 1: <img src=x onerror=alert(1)>\".txt", item.Find("button.citation-marker").GetAttribute("aria-label"));
    }
}
