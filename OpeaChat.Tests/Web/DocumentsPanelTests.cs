using System.Net;
using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using OpeaChat.Web.Components.Documents;
using OpeaChat.Web.Gateway;
using static OpeaChat.Tests.Web.TestTab;

namespace OpeaChat.Tests.Web;

/// <summary>The documents drawer against an in-memory gateway: upload with progress, failures, links, delete, the choice.</summary>
public sealed class DocumentsPanelTests : DocumentsTestContext
{
    private const string FileId = "doc-1";
    private volatile string _listed = "[]";
    private Func<HttpRequestMessage, HttpResponseMessage?>? _override;

    protected override HttpResponseMessage Respond(HttpRequestMessage request) =>
        _override?.Invoke(request) ?? (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/v1/dataprep/get") => Json(_listed),
            ("POST", "/v1/dataprep/ingest") => Json($$"""{"status":200,"message":"Data preparation succeeded","files":[{{FileJson(FileId, "facts.txt", "queued")}}]}"""),
            ("POST", "/v1/dataprep/delete") => Json("""{"status":true}"""),
            ("PATCH", _) => Json(ConversationJson("Hi")),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            ("GET", "/v1/conversations") => Json(ListJson("Hi")),
            ("GET", _) => Json(ConversationJson("Hi")),
            _ => Json("{}", HttpStatusCode.NotFound),
        };

    [Theory]
    [InlineData("member", false)]
    [InlineData("admin", true)]
    public void A_signed_in_member_adds_their_own_documents_and_reads_the_shared_ones_without_deleting_them(string role, bool admin)
    {
        const string SharedId = "doc-shared";
        _listed = $"[{FileJson(FileId, "mine.txt", "searchable", chunks: 3)},{FileJson(SharedId, "handbook.txt", "searchable", chunks: 2, shared: true)}]";
        Authorization.SetAuthorized("erin");
        Authorization.SetRoles(role);
        // After SetRoles: set before it, bUnit's claims lose the account id.
        Authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, "account-erin"));
        var panel = Render<DocumentsPanel>();

        panel.WaitForAssertion(() => Assert.NotNull(panel.Find($"li.document-row[data-id='{SharedId}']")));
        Assert.Single(panel.FindAll("#documents-file"));
        Assert.Single(panel.FindAll("#documents-links"));
        var own = panel.Find($"li.document-row[data-id='{FileId}']");
        var shared = panel.Find($"li.document-row[data-id='{SharedId}']");
        Assert.NotNull(own.QuerySelector(".document-delete"));
        Assert.Null(own.QuerySelector(".document-shared"));
        Assert.Equal("Shared", shared.QuerySelector(".document-shared")!.TextContent.Trim());
        Assert.Equal(admin, shared.QuerySelector(".document-delete") is not null);
        Assert.Equal(admin, panel.FindAll("#documents-share").Count == 1);
        Assert.Equal(!admin, panel.FindAll("#documents-admin-note").Count == 1);
    }

    [Fact]
    public async Task An_admin_who_shares_sends_shared_with_the_upload()
    {
        Authorization.SetAuthorized("frank");
        Authorization.SetRoles("admin");
        Authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, "account-frank"));
        var panel = Render<DocumentsPanel>();
        panel.WaitForAssertion(() => Assert.Contains("No documents in this collection yet.", panel.Markup, StringComparison.Ordinal));

        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("Mine.", "mine.txt"));
        panel.WaitForAssertion(() => Assert.Single(Gateway.Requests, request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest"));
        Assert.DoesNotContain("name=shared", Gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest").Body, StringComparison.Ordinal);

        var share = panel.FindComponents<Microsoft.FluentUI.AspNetCore.Components.FluentSwitch>().Single(toggle => toggle.Instance.Id == "documents-share");
        await panel.InvokeAsync(() => share.Instance.ValueChanged.InvokeAsync(true));
        panel.WaitForAssertion(() => Assert.Contains("go to the shared collection", panel.Find("#documents-share-help").TextContent, StringComparison.Ordinal));
        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("Everyone's.", "handbook.txt"));
        panel.WaitForAssertion(() => Assert.Equal(2, Gateway.Requests.Count(request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest")));
        var sharedIngest = Gateway.Requests.Last(request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest");
        Assert.Contains("name=shared", sharedIngest.Body, StringComparison.Ordinal);
        Assert.Contains("handbook.txt", sharedIngest.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void An_uploaded_file_is_posted_to_dataprep_and_shows_its_progress_until_searchable()
    {
        var panel = Render<DocumentsPanel>();
        panel.WaitForAssertion(() => Assert.Contains("No documents in this collection yet.", panel.Markup, StringComparison.Ordinal));

        _listed = $"[{FileJson(FileId, "facts.txt", "queued")}]";
        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("Zorblat's capital is Quux.", "facts.txt"));

        // Queued: the row shows the status and a progress bar, and polling goes on.
        panel.WaitForAssertion(() =>
        {
            var row = panel.Find($"li.document-row[data-id='{FileId}']");
            Assert.Equal("Queued", row.QuerySelector(".document-status")!.TextContent.Trim());
            Assert.NotNull(row.QuerySelector("fluent-progress-bar, .fluent-progress-bar, [role='progressbar']"));
        });
        var ingest = Gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest");
        Assert.Equal("multipart/form-data", ingest.ContentType);
        Assert.Contains("name=files; filename=facts.txt", ingest.Body, StringComparison.Ordinal);
        Assert.Contains("Zorblat's capital is Quux.", ingest.Body, StringComparison.Ordinal);
        Assert.Contains("name=index_name", ingest.Body, StringComparison.Ordinal);

        _listed = $"[{FileJson(FileId, "facts.txt", "searchable", chunks: 3)}]";
        panel.WaitForAssertion(() =>
        {
            var row = panel.Find($"li.document-row[data-id='{FileId}']");
            Assert.Equal("Searchable", row.QuerySelector(".document-status")!.TextContent.Trim());
            Assert.Equal("3 chunks", row.QuerySelector(".document-chunks")!.TextContent.Trim());
            Assert.Equal("1.5 KB", row.QuerySelector(".document-size")!.TextContent.Trim());
            Assert.Null(row.QuerySelector("[role='progressbar'], fluent-progress-bar"));
        });
        Assert.Single(panel.FindAll("li.document-row"));
    }

    [Fact]
    public void A_document_that_failed_to_ingest_shows_the_gateways_reason()
    {
        _listed = $"[{FileJson(FileId, "scan.pdf", "failed", error: "The PDF has no text layer.")}]";

        var panel = Render<DocumentsPanel>();

        panel.WaitForAssertion(() =>
        {
            var row = panel.Find($"li.document-row[data-id='{FileId}']");
            Assert.Equal("Failed", row.QuerySelector(".document-status")!.TextContent.Trim());
            Assert.Equal("The PDF has no text layer.", row.QuerySelector(".document-error")!.TextContent.Trim());
        });
    }

    [Fact]
    public void An_upload_the_gateway_refuses_goes_to_the_error_bar_with_its_reason_and_stays_listed_as_failed()
    {
        _override = request => request.RequestUri!.AbsolutePath == "/v1/dataprep/ingest"
            ? Json("""{"error":{"message":"Files of type .exe are not supported.","type":"invalid_request_error"}}""", HttpStatusCode.UnsupportedMediaType)
            : null;
        var panel = Render<DocumentsPanel>();

        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("MZ", "tool.exe"));

        panel.WaitForAssertion(() =>
        {
            var row = panel.Find("li.document-row[data-status='failed']");
            Assert.Contains("tool.exe", row.TextContent, StringComparison.Ordinal);
            Assert.Equal("Files of type .exe are not supported.", row.QuerySelector(".document-error")!.TextContent.Trim());
        });
        Assert.Equal((ChatQnAFailure.Rejected, "Files of type .exe are not supported."), (Errors.Error!.Failure, Errors.Error.Message));
    }

    [Fact]
    public void Links_are_sent_one_per_line_as_opeas_link_list()
    {
        var panel = Render<DocumentsPanel>();

        panel.Find("#documents-links").Input("https://example.com/a\n\n https://example.com/b \n");
        panel.Find("form.documents-links").Submit();

        panel.WaitForAssertion(() => Assert.Contains(Gateway.Requests, request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest"));
        var ingest = Gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/dataprep/ingest");
        Assert.Contains("name=link_list", ingest.Body, StringComparison.Ordinal);
        Assert.Contains("""["https://example.com/a","https://example.com/b"]""", ingest.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admin_shares_their_own_documents_of_the_collection_after_saying_yes()
    {
        _listed = $"[{FileJson(FileId, "old.txt", "searchable", chunks: 1)}]";
        Authorization.SetAuthorized("frank");
        Authorization.SetRoles("admin");
        Authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, "account-frank"));
        _override = request => request.RequestUri!.AbsolutePath == "/v1/dataprep/share"
            ? Json("""{"status":true,"documents":1}""")
            : null;
        var panel = Render<DocumentsPanel>();
        panel.WaitForAssertion(() => panel.Find("#documents-share-collection"));

        panel.Find("#documents-share-collection").Click();
        Assert.DoesNotContain(Gateway.Requests, request => request.Uri!.AbsolutePath == "/v1/dataprep/share");
        Assert.Contains("Share your 1 document(s) in “default”", panel.Find("#documents-share-confirm").TextContent, StringComparison.Ordinal);

        _listed = $"[{FileJson(FileId, "old.txt", "searchable", chunks: 1, shared: true)}]";
        panel.Find("#documents-share-yes").Click();

        panel.WaitForAssertion(() => Assert.NotNull(panel.Find($"li.document-row[data-id='{FileId}'] .document-shared")));
        Assert.Equal("""{"index_name":"default"}""", Gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/dataprep/share").Body);
        Assert.Empty(panel.FindAll("#documents-share-collection")); // Nothing of the admin's own is left to share.
    }

    [Fact]
    public void A_member_is_not_offered_to_share_a_collection()
    {
        _listed = $"[{FileJson(FileId, "mine.txt", "searchable", chunks: 1)}]";
        Authorization.SetAuthorized("erin");
        Authorization.SetRoles("member");
        Authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, "account-erin"));
        var panel = Render<DocumentsPanel>();
        panel.WaitForAssertion(() => panel.Find($"li.document-row[data-id='{FileId}']"));
        Assert.Empty(panel.FindAll("#documents-share-collection"));
    }

    [Fact]
    public void Delete_asks_first_and_then_deletes_the_document_by_id()
    {
        _listed = $"[{FileJson(FileId, "facts.txt", "searchable", chunks: 1)}]";
        var panel = Render<DocumentsPanel>();
        panel.WaitForAssertion(() => panel.Find("button.document-delete"));

        panel.Find("button.document-delete").Click();
        Assert.DoesNotContain(Gateway.Requests, request => request.Uri!.AbsolutePath == "/v1/dataprep/delete");
        Assert.Contains("Delete “facts.txt”?", panel.Find(".delete-confirm").TextContent, StringComparison.Ordinal);

        _listed = "[]";
        panel.Find("button.document-delete-yes").Click();

        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("li.document-row")));
        var delete = Gateway.Requests.Single(request => request.Uri!.AbsolutePath == "/v1/dataprep/delete");
        Assert.Equal("""{"file_path":"doc-1","index_name":"default"}""", delete.Body);
    }

    [Fact]
    public async Task The_switch_and_collection_are_saved_with_the_open_conversations_settings_keeping_the_others()
    {
        await Open.OpenAsync(Id);
        var panel = Render<DocumentsPanel>();

        await panel.InvokeAsync(() => panel.Find("#documents-collection").Change("handbook"));
        panel.WaitForAssertion(() => Assert.Single(Gateway.Requests, request => request.Method == HttpMethod.Patch));
        await panel.InvokeAsync(() => panel.FindComponent<Microsoft.FluentUI.AspNetCore.Components.FluentSwitch>().Instance.ValueChanged.InvokeAsync(true));

        panel.WaitForAssertion(() => Assert.Equal(2, Gateway.Requests.Count(request => request.Method == HttpMethod.Patch)));
        var patch = Gateway.Requests.Last(request => request.Method == HttpMethod.Patch);
        using var body = System.Text.Json.JsonDocument.Parse(patch.Body!);
        Assert.True(body.RootElement.GetProperty("use_documents").GetBoolean());
        Assert.Equal("handbook", body.RootElement.GetProperty("index_name").GetString());
        Assert.True(body.RootElement.TryGetProperty("temperature", out _)); // Every other setting is resent as stored.
        panel.WaitForAssertion(() => Assert.Contains("“handbook”", panel.Find("#documents-choice-status").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_chat_keeps_the_choice_for_its_first_message_and_the_settings_panel_does_not_undo_it()
    {
        var panel = Render<DocumentsPanel>();

        await panel.InvokeAsync(() => panel.FindComponent<Microsoft.FluentUI.AspNetCore.Components.FluentSwitch>().Instance.ValueChanged.InvokeAsync(true));

        panel.WaitForAssertion(() => Assert.True(Open.PendingSettings?.UseDocuments));
        Assert.Null(await Open.SaveSettingsAsync(new OpeaChat.Contracts.Conversations.ConversationUpdate { Temperature = 0.5f }));
        Assert.Equal((true, "default", 0.5f), (Open.PendingSettings!.UseDocuments, Open.PendingSettings.IndexName, Open.PendingSettings.Temperature));
        Assert.DoesNotContain(Gateway.Requests, request => request.Method == HttpMethod.Patch);
    }
}
