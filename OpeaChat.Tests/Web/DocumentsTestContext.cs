using System.Net;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Documents;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>
/// bUnit for the documents drawer and the citations: the tab's services over one in-memory gateway (a fake handler,
/// acceptable in these tests of one component), with ingestion polled every few milliseconds.
/// </summary>
public abstract class DocumentsTestContext : BunitContext
{
    protected DocumentsTestContext()
    {
        // Called per request, after the test class's own fields are set.
        Gateway = new FakeGateway(request => Respond(request));
        var conversations = Gateway.CreateConversationsClient();
        Errors = new ChatErrorState(TimeProvider.System, NullLogger<ChatErrorState>.Instance);
        var list = new ConversationList(conversations, Errors);
        Open = new OpenConversation(conversations, list, Errors);
        Library = new DocumentLibrary(new DataprepClient(new HttpClient(Gateway) { BaseAddress = new Uri("http://chatqna/") }), Errors,
            TimeProvider.System, NullLogger<DocumentLibrary>.Instance) { PollInterval = TimeSpan.FromMilliseconds(5) };
        Services.AddSingleton(Errors);
        Services.AddSingleton(list);
        Services.AddSingleton(Open);
        Services.AddSingleton(Library);
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);

        // As ChatComponentTestContext, after this tab's services: bUnit takes none once the renderer is set.
        Services.AddFluentUIComponents();
        Services.AddScoped<BrowserTimeZone>();
        // No signed-in person: local mode, where everyone may add and delete models and documents.
        Services.AddScoped<BrowserTab>();
        Services.AddScoped<OpeaChat.Web.Accounts.GatewayCaller>();
        Authorization = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private protected FakeGateway Gateway { get; }

    /// <summary>The gateway's answer to <paramref name="request"/>.</summary>
    protected abstract HttpResponseMessage Respond(HttpRequestMessage request);

    protected ChatErrorState Errors { get; }

    /// <summary>Nobody signed in (local mode) unless a test signs someone in.</summary>
    protected BunitAuthorizationContext Authorization { get; }

    protected OpenConversation Open { get; }

    protected DocumentLibrary Library { get; }

    protected static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) => TestTab.Json(body, status);

    /// <summary>A document as <c>/v1/dataprep/get</c> lists it.</summary>
    protected static string FileJson(string id, string name, string status, int chunks = 0, string? error = null, string index = "default", bool shared = false) =>
        $$"""{"name":"{{name}}","id":"{{id}}","type":"File","parent":"","index_name":"{{index}}","shared":{{(shared ? "true" : "false")}},"status":"{{status}}","error":{{(error is null ? "null" : $"\"{error}\"")}},"format":"txt","chunks":{{chunks}},"bytes":1536,"pages":null,"created_at":"2026-12-01T10:00:00+00:00","ingested_at":null}""";
}
