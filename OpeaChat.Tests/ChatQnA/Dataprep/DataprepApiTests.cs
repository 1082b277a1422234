using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Tests.ChatQnA.Retrieval;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.ChatQnA.Dataprep.DataprepCalls;

namespace OpeaChat.Tests.ChatQnA.Dataprep;

/// <summary>
/// OPEA's dataprep over real HTTP: the gateway in the test process on the real SQLite store, embedding through a real
/// inference server, and links served by a loopback web server of the test's own.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class DataprepApiTests(RetrievalInferenceFixture inference) : IClassFixture<RetrievalInferenceFixture>
{
    [Fact]
    public async Task Opeas_sequence_ingest_get_answer_link_and_delete_all()
    {
        await using var pages = await LinkServer.StartAsync();
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress, ("Dataprep:AllowPrivateLinks", "true"));

        using var ingested = await IngestAsync(gateway, ("files", "ferry.txt", TestCorpus.Text()), ("files", "report.pdf", TestCorpus.Pdf()));
        Assert.Equal(HttpStatusCode.OK, ingested.StatusCode);
        var body = JsonDocument.Parse(await ingested.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((200, "Data preparation succeeded"), (body.GetProperty("status").GetInt32(), body.GetProperty("message").GetString()));

        // OPEA's UI lists with a JSON content type and no body at all.
        var listed = await WaitUntilSearchableAsync(gateway, 2);
        var ferry = listed.Single(file => file.GetProperty("name").GetString() == "ferry.txt");
        Assert.Equal(("File", "", "default"), (ferry.GetProperty("type").GetString(), ferry.GetProperty("parent").GetString(), ferry.GetProperty("index_name").GetString()));
        Assert.True(ferry.GetProperty("chunks").GetInt32() >= 1);
        Assert.Equal(3, listed.Single(file => file.GetProperty("name").GetString() == "report.pdf").GetProperty("pages").GetInt32());

        using var answer = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "When does the ferry to Oskarholm leave?", max_tokens = 4, stream = false });
        var sources = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("sources");
        Assert.Equal("ferry.txt", sources[0].GetProperty("document").GetString());

        using var linked = await IngestAsync(gateway, links: [new Uri(pages.Address, "observatory.html").ToString()]);
        Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
        var withLink = await WaitUntilSearchableAsync(gateway, 3);
        var link = withLink.Single(file => file.GetProperty("type").GetString() == "Link");
        Assert.Equal(("html", "searchable"), (link.GetProperty("format").GetString(), link.GetProperty("status").GetString()));

        using var deleted = await gateway.Client.PostAsJsonAsync("/v1/dataprep/delete", new { file_path = "all" });
        Assert.Equal("""{"status":true}""", await deleted.Content.ReadAsStringAsync());
        Assert.Empty(await ListAsync(gateway));
        using var after = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { messages = "When does the ferry to Oskarholm leave?", max_tokens = 2, stream = false });
        Assert.False(JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.TryGetProperty("sources", out _));
    }

    [Fact]
    public async Task Opeas_own_refusals_have_opeas_bodies_and_store_nothing()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        using var first = await IngestAsync(gateway, ("files", "ferry.txt", TestCorpus.Text()));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var nothing = await IngestAsync(gateway, ("chunk_size", null, Encoding.UTF8.GetBytes("500")));
        using var again = await IngestAsync(gateway, ("files", "other.md", TestCorpus.Markdown()), ("files", "ferry.txt", TestCorpus.Text()));

        Assert.Equal(HttpStatusCode.BadRequest, nothing.StatusCode);
        Assert.Equal("""{"detail":"Must provide either a file or a string list."}""", await nothing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("""{"detail":"Uploaded file ferry.txt already exists. Please change file name."}""", await again.Content.ReadAsStringAsync());
        // The request was refused whole: other.md, which came first, is not there either.
        Assert.Equal(["ferry.txt"], (await ListAsync(gateway)).Select(file => file.GetProperty("name").GetString()));

        // The same name in another collection is another document.
        using var elsewhere = await IngestAsync(gateway, ("files", "ferry.txt", TestCorpus.Text()), ("index_name", null, Encoding.UTF8.GetBytes("travel")));
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Bad_uploads_get_their_reason_and_store_nothing()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress, ("Dataprep:MaxFileBytes", "4096"));

        using var unreadable = await IngestAsync(gateway, ("files", "good.md", TestCorpus.Markdown()), ("files", "photo.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46]));
        using var tooLarge = await IngestAsync(gateway, ("files", "big.txt", Encoding.UTF8.GetBytes(new string('a', 5000))));
        using var badSize = await IngestAsync(gateway, ("files", "a.txt", TestCorpus.Text()), ("chunk_size", null, Encoding.UTF8.GetBytes("ten")));
        using var badOverlap = await IngestAsync(gateway, ("files", "a.txt", TestCorpus.Text()), ("chunk_size", null, Encoding.UTF8.GetBytes("100")), ("chunk_overlap", null, Encoding.UTF8.GetBytes("100")));
        using var reserved = await IngestAsync(gateway, ("files", "a.txt", TestCorpus.Text()), ("index_name", null, Encoding.UTF8.GetBytes("all")));
        using var badLinks = await IngestAsync(gateway, links: ["file:///etc/passwd"]);
        using var notJson = await IngestAsync(gateway, ("link_list", null, Encoding.UTF8.GetBytes("https://example.com")));
        using var notMultipart = await gateway.Client.PostAsJsonAsync("/v1/dataprep/ingest", new { files = "a.txt" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, unreadable.StatusCode);
        Assert.Contains("photo.jpg cannot be ingested", await unreadable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("MaxFileBytes", await tooLarge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var (response, field) in new[] { (badSize, "chunk_size"), (badOverlap, "chunk_overlap"), (reserved, "index_name"), (badLinks, "link_list"), (notJson, "link_list") })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(field, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail")[0].GetProperty("loc")[1].GetString());
        }

        Assert.Equal(HttpStatusCode.BadRequest, notMultipart.StatusCode);
        Assert.Empty(await ListAsync(gateway));
    }

    [Fact]
    public async Task Links_to_this_machine_or_through_redirects_to_other_schemes_fail_with_the_reason()
    {
        await using var pages = await LinkServer.StartAsync();
        using var guarded = GatewayHost.Start(inference.Host.BaseAddress);
        using var open = GatewayHost.Start(inference.Host.BaseAddress, ("Dataprep:AllowPrivateLinks", "true"));

        using var loopback = await IngestAsync(guarded, links: [new Uri(pages.Address, "observatory.html").ToString()]);
        using var redirected = await IngestAsync(open, links: [new Uri(pages.Address, "to-file").ToString(), new Uri(pages.Address, "missing").ToString()]);
        Assert.Equal(HttpStatusCode.OK, loopback.StatusCode);
        Assert.Equal(HttpStatusCode.OK, redirected.StatusCode);

        var refused = Assert.Single(await WaitUntilFinishedAsync(guarded, 1));
        Assert.Equal("failed", refused.GetProperty("status").GetString());
        Assert.Contains("loopback, private or link-local", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        var failed = await WaitUntilFinishedAsync(open, 2);
        Assert.All(failed, file => Assert.Equal("failed", file.GetProperty("status").GetString()));
        Assert.Contains(failed, file => file.GetProperty("error").GetString()!.Contains("not an http or https link", StringComparison.Ordinal));
        Assert.Contains(failed, file => file.GetProperty("error").GetString()!.Contains("404", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_and_delete_by_collection_id_and_name()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        using var a = await IngestAsync(gateway, ("files", "ferry.txt", TestCorpus.Text()), ("index_name", null, Encoding.UTF8.GetBytes("travel")));
        using var b = await IngestAsync(gateway, ("files", "choir.docx", TestCorpus.Docx()));
        var all = await WaitUntilSearchableAsync(gateway, 2);

        using var travel = await gateway.Client.PostAsJsonAsync("/v1/dataprep/get", new { index_name = "travel" });
        var travelFiles = JsonDocument.Parse(await travel.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        Assert.Equal("ferry.txt", Assert.Single(travelFiles).GetProperty("name").GetString());

        using var unknown = await gateway.Client.PostAsJsonAsync("/v1/dataprep/delete", new { file_path = "nope.txt" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("nope.txt", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var docxId = all.Single(file => file.GetProperty("name").GetString() == "choir.docx").GetProperty("id").GetString();
        using var byId = await gateway.Client.PostAsJsonAsync("/v1/dataprep/delete", new { file_path = docxId });
        using var byName = await gateway.Client.PostAsJsonAsync("/v1/dataprep/delete", new { file_path = "ferry.txt", index_name = "travel" });
        Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
        Assert.Empty(await ListAsync(gateway));
    }

    /// <summary>A loopback web server with a page, a redirect to a file:// URL and a 404.</summary>
    private sealed class LinkServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private LinkServer(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public static async Task<LinkServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new LinkServer(app);
            app.MapGet("/observatory.html", () => Results.Content($"<html><body><main><h1>Sky</h1><p>{TestCorpus.HtmlFact}</p></main></body></html>", "text/html"));
            app.MapGet("/to-file", () => Results.Redirect("file:///etc/passwd"));
            await app.StartAsync();
            server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
