using System.Text.Json;
using OpeaChat.Benchmarks.Cli;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;
using BrowserResult = OpeaChat.Benchmarks.Browser.BrowserResult;
using BrowserKinds = OpeaChat.Benchmarks.Browser.BrowserKinds;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// The <c>browser</c> benchmark, briefly, against the whole app on the test model: two rounds of short replies and a
/// short long-reply check through the command line, then the JSON's figures are sane (present, positive, in the order
/// a send happens) and both files are written. No speed is asserted: that is the benchmark's to report.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class BrowserBenchmarkTests(AppFixture app, ITestOutputHelper output)
{
    private const int Rounds = 2;
    private const int MaxTokens = 24;
    private const int LongReplyTokens = 80;

    [Fact]
    public async Task A_short_run_times_page_and_gateway_in_order_and_writes_json_and_markdown()
    {
        var folder = Directory.CreateTempSubdirectory("opeachat-browser-bench-");
        try
        {
            var exit = await BenchmarkCli.RunAsync(
            [
                "browser", "--web", app.WebBaseUri.ToString(), "--gateway", app.ChatQnABaseUri.ToString(),
                "--sends", Rounds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--max-tokens", MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--long-reply-tokens", LongReplyTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--loads", "1", "--warmup", "0", "--output", folder.FullName, "--name", "browser-test",
            ]).WaitAsync(TimeSpan.FromMinutes(8));
            Assert.Equal(0, exit);

            var json = await File.ReadAllTextAsync(Path.Combine(folder.FullName, "browser-test.json"));
            output.WriteLine(await File.ReadAllTextAsync(Path.Combine(folder.FullName, "browser-test.md")));
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            Assert.Equal(BrowserResult.SchemaVersion, root.GetProperty("schema").GetString());
            Assert.Equal("stories260K", root.GetProperty("model").GetString());

            var load = Assert.Single(root.GetProperty("loads").EnumerateArray());
            Assert.True(load.GetProperty("input_shown_ms").GetDouble() > 0);
            Assert.True(load.GetProperty("input_wired_ms").GetDouble() >= load.GetProperty("input_shown_ms").GetDouble());
            Assert.True(load.GetProperty("page_ready_ms").GetDouble() > 0);
            Assert.True(load.GetProperty("transfer_bytes").GetInt64() > 0);
            Assert.True(load.GetProperty("decoded_body_bytes").GetInt64() > 0);
            Assert.True(load.GetProperty("resources").GetInt32() > 1);
            Assert.True(load.GetProperty("typing_works").GetBoolean());

            var sends = root.GetProperty("page_sends").EnumerateArray().ToList();
            Assert.Equal(
                Enumerable.Range(1, Rounds).SelectMany(round => new[] { (round, BrowserKinds.PageNewChat), (round, BrowserKinds.PageContinueChat) }),
                sends.Select(send => (send.GetProperty("round").GetInt32(), send.GetProperty("kind").GetString()!)));
            foreach (var send in sends)
            {
                var firstText = send.GetProperty("first_text_ms").GetDouble();
                var firstPaint = send.GetProperty("first_paint_ms").GetDouble();
                var stored = send.GetProperty("stored_ms").GetDouble();
                Assert.True(firstText > 0, $"first text at {firstText} ms");
                // The frame that shows the text comes after the mutation that put it there, and the stored reply after both.
                Assert.True(firstPaint >= firstText, $"first paint {firstPaint} ms before the first text {firstText} ms");
                Assert.True(send.GetProperty("first_paint_next_frame_ms").GetDouble() > firstPaint);
                Assert.True(stored > firstPaint, $"stored {stored} ms before the first paint {firstPaint} ms");
                Assert.True(send.GetProperty("send_enabled_ms").GetDouble() >= stored);
                Assert.True(send.GetProperty("characters").GetInt32() > 0);
                var tokens = send.GetProperty("completion_tokens").GetInt32();
                Assert.InRange(tokens, 1, MaxTokens);
                Assert.NotEqual(JsonValueKind.Null, send.GetProperty("conversation_id").ValueKind);
                if (tokens > 1)
                {
                    // The gateway's own rate for this reply, read from the stored message, and the page's against it.
                    Assert.True(send.GetProperty("stored_tokens_per_second").GetDouble() > 0);
                    Assert.Equal(send.GetProperty("painted_tokens_per_second").ValueKind, send.GetProperty("painted_over_stored_ratio").ValueKind);
                }
            }

            // The continuing chat went on in the new chat's conversation.
            for (var round = 0; round < Rounds; round++)
            {
                Assert.Equal(sends[2 * round].GetProperty("conversation_id").GetGuid(), sends[(2 * round) + 1].GetProperty("conversation_id").GetGuid());
            }

            var gateway = root.GetProperty("gateway_sends").EnumerateArray().ToList();
            Assert.Equal(Rounds * 3, gateway.Count);
            foreach (var send in gateway)
            {
                Assert.Equal(JsonValueKind.Null, send.GetProperty("error").ValueKind);
                Assert.True(send.GetProperty("ttft_ms").GetDouble() > 0);
                Assert.True(send.GetProperty("end_ms").GetDouble() >= send.GetProperty("ttft_ms").GetDouble());
                Assert.InRange(send.GetProperty("tokens").GetInt32(), 1, MaxTokens);
                if (send.GetProperty("kind").GetString() != BrowserKinds.GatewayChatQnA)
                {
                    Assert.True(send.GetProperty("stored_ms").GetDouble() >= send.GetProperty("end_ms").GetDouble());
                }
            }

            var kinds = root.GetProperty("summaries").EnumerateArray().Select(summary => summary.GetProperty("kind").GetString()).ToList();
            Assert.Equal([BrowserKinds.PageNewChat, BrowserKinds.PageContinueChat, BrowserKinds.Page, BrowserKinds.GatewayChatQnA,
                BrowserKinds.GatewayConversationNew, BrowserKinds.GatewayConversationContinue], kinds);
            var page = root.GetProperty("summaries").EnumerateArray().Single(summary => summary.GetProperty("kind").GetString() == BrowserKinds.Page);
            Assert.Equal(2 * Rounds, page.GetProperty("count").GetInt32());
            Assert.Equal(5, root.GetProperty("comparisons").GetArrayLength());

            // The long reply: sent from the page with its own max tokens, stored within it, and the gateway's beside it.
            var longReply = root.GetProperty("long_reply");
            Assert.Equal(JsonValueKind.Null, longReply.GetProperty("failure").ValueKind);
            Assert.InRange(longReply.GetProperty("completion_tokens").GetInt32(), MaxTokens + 1, LongReplyTokens);
            Assert.True(longReply.GetProperty("characters").GetInt32() > 0);
            Assert.True(longReply.GetProperty("stored_ms").GetDouble() > longReply.GetProperty("first_paint_ms").GetDouble());
            Assert.True(longReply.GetProperty("painted_frames").GetInt32() >= 1);
            Assert.InRange(longReply.GetProperty("gateway_tokens").GetInt32(), 1, LongReplyTokens);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
