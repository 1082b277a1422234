using System.Net;
using System.Text.Json;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Models;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;
using OpeaChat.Web.Models;

namespace OpeaChat.Tests.Web;

/// <summary>
/// The tab's model pulls (<see cref="ModelPulls"/>) and the components that show them, over an in-memory gateway (a
/// fake handler, acceptable in these tests of one component): the progress read from the pull's NDJSON, the model
/// list asked again when it is ready, a pull picked up from the list after a reload, refusals, cancel, and the models
/// drawer's delete with its two confirmations.
/// </summary>
public sealed class ModelPullsTests : BunitContext
{
    private const string Reference = "hf.co/test-org/Stories-GGUF:Q4_K_M";
    private const string PulledId = "Stories-Q4_K_M";

    private readonly List<string> _models = [];
    private readonly Queue<string> _pullLists = new();
    private Func<HttpRequestMessage, HttpResponseMessage>? _pull;
    private Func<HttpRequestMessage, HttpResponseMessage>? _delete;

    public ModelPullsTests()
    {
        Gateway = new FakeGateway(Respond);
        var conversations = Gateway.CreateConversationsClient();
        var errors = new ChatErrorState(TimeProvider.System, NullLogger<ChatErrorState>.Instance);
        Catalog = new GatewayCatalog(conversations, errors);
        var health = new ServiceHealthMonitor(Gateway.CreateHealthClient(), TimeProvider.System);
        Pulls = new ModelPulls(new ModelsClient(new HttpClient(Gateway) { BaseAddress = new Uri("http://chatqna/") }), Catalog, health,
            TimeProvider.System, NullLogger<ModelPulls>.Instance) { PollInterval = TimeSpan.FromMilliseconds(5) };
        Services.AddSingleton(Catalog);
        Services.AddSingleton(Pulls);
        // No signed-in person: local mode, where everyone may add and delete models and documents.
        Services.AddScoped<BrowserTab>();
        Services.AddScoped<OpeaChat.Web.Accounts.GatewayCaller>();
        Authorization = AddAuthorization();
        Services.AddFluentUIComponents();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private FakeGateway Gateway { get; }

    private BunitAuthorizationContext Authorization { get; }

    private GatewayCatalog Catalog { get; }

    private ModelPulls Pulls { get; }

    [Fact]
    public async Task A_pull_follows_its_progress_and_when_ready_the_model_list_is_asked_again()
    {
        _pull = _ => Ndjson(Status("resolving", 0), Status("downloading", 512, 2048, 1000), Status("verifying", 2048, 2048), Status("ready", 2048, 2048));
        var changes = 0;
        Pulls.Changed += () => Interlocked.Increment(ref changes);

        Assert.True(await Pulls.StartAsync("  " + Reference + " "));

        await WaitUntilAsync(() => Pulls.Pulls.Any(pull => pull.Stage == "ready") && Catalog.Models.Count == 1);
        Assert.Equal(PulledId, Assert.Single(Catalog.Models).Id);
        var post = Assert.Single(Gateway.Requests, request => request.Method == HttpMethod.Post);
        Assert.Equal("/v1/models/pull", post.Uri!.AbsolutePath);
        using (var body = JsonDocument.Parse(post.Body!))
        {
            Assert.Equal(Reference, body.RootElement.GetProperty("model").GetString()); // trimmed
        }

        // The model list was asked after the pull ended (it was empty before).
        var order = Gateway.Requests.Select(request => request.Uri!.AbsolutePath).ToList();
        Assert.True(order.LastIndexOf("/v1/models") > order.IndexOf("/v1/models/pull"));
        Assert.True(changes >= 4);
        Assert.Null(Pulls.Problem);
    }

    [Fact]
    public async Task A_refused_pull_says_why_and_changes_nothing()
    {
        _pull = _ => FakeGateway.Respond(HttpStatusCode.NotFound,
            """{"error":{"message":"test-org/Nope-GGUF does not exist on the hub.","type":"invalid_request_error","param":"model","code":"not_found"}}""", "application/json");

        Assert.False(await Pulls.StartAsync("test-org/Nope-GGUF"));

        Assert.Equal("test-org/Nope-GGUF does not exist on the hub.", Pulls.Problem);
        Assert.Empty(Pulls.Pulls);
        Assert.False(Pulls.IsStarting("test-org/Nope-GGUF"));
        Assert.DoesNotContain(Gateway.Requests, request => request.Uri!.AbsolutePath == "/v1/models");
    }

    [Fact]
    public async Task An_empty_name_is_refused_before_anything_is_sent()
    {
        Assert.False(await Pulls.StartAsync("   "));

        Assert.Contains("Enter a model", Pulls.Problem, StringComparison.Ordinal);
        Assert.Empty(Gateway.Requests);
    }

    [Fact]
    public async Task A_pull_running_before_a_reload_is_picked_up_from_the_list_and_followed_to_its_end()
    {
        _pullLists.Enqueue(List(Status("downloading", 100, 2048)));
        _pullLists.Enqueue(List(Status("downloading", 1500, 2048)));
        _pullLists.Enqueue(List(Status("ready", 2048, 2048)));

        await Pulls.LoadAsync();

        Assert.Single(Pulls.Recommended);
        Assert.Equal("downloading", Assert.Single(Pulls.Pulls).Stage);
        await WaitUntilAsync(() => Catalog.Models.Count == 1);
        Assert.Equal("ready", Assert.Single(Pulls.Pulls).Stage);
        Assert.Null(Pulls.RunningFor(Reference));
        Assert.DoesNotContain(Gateway.Requests, request => request.Method == HttpMethod.Post);
    }

    [Fact]
    public async Task The_first_run_offer_shows_each_model_and_pulls_the_one_chosen_with_its_progress_and_cancel()
    {
        _pull = _ => Ndjson(Status("downloading", 1024 * 1024, 4L * 1024 * 1024, 2.5 * 1024 * 1024));
        await Pulls.LoadAsync();
        var offer = Render<FirstRunModels>();

        var card = offer.Find($"li.recommended-model[data-model='{Reference}']");
        Assert.Contains("Stories test", card.TextContent, StringComparison.Ordinal);
        Assert.Contains("Chat", card.TextContent, StringComparison.Ordinal);
        Assert.Contains("2.1 GB", card.QuerySelector(".recommended-size")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("3 GB", card.QuerySelector(".recommended-memory")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("Llama 3.2 Community License", card.QuerySelector(".recommended-license a")!.TextContent.Trim());

        // The stream ends without a final status: the pull is followed through the list (still running there).
        lock (_pullLists)
        {
            _pullLists.Enqueue(List(Status("downloading", 2L * 1024 * 1024, 4L * 1024 * 1024)));
        }
        await offer.InvokeAsync(() => offer.FindComponent<RecommendedModels>().Find(".recommended-pull").Click());


        offer.WaitForAssertion(() =>
        {
            var progress = offer.Find(".pull-progress");
            Assert.Equal("downloading", progress.GetAttribute("data-stage"));
            Assert.Contains(" of 4 MB", progress.QuerySelector(".pull-bytes")!.TextContent, StringComparison.Ordinal);
            Assert.Empty(offer.FindAll(".recommended-pull"));
        });
        Assert.Contains("Downloading", offer.Find(".pull-stage").TextContent, StringComparison.Ordinal);

        _delete = request =>
        {
            // Inference stops the pull: from now on the list says so.
            lock (_pullLists)
            {
                _pullLists.Clear();
                _pullLists.Enqueue(List(Status("cancelled", 2L * 1024 * 1024, 4L * 1024 * 1024)));
            }

            return Json(JsonSerializer.Serialize(Status("cancelled", 2L * 1024 * 1024, 4L * 1024 * 1024), ModelPullJsonContext.Default.ModelPullStatus));
        };
        await offer.InvokeAsync(() => offer.Find(".pull-cancel").Click());

        offer.WaitForAssertion(() => Assert.Equal("cancelled", offer.Find(".pull-progress").GetAttribute("data-stage")));
        Assert.Contains(Gateway.Requests, request => request.Method == HttpMethod.Delete && request.Uri!.AbsolutePath == $"/v1/models/pulls/{PulledId}");
        // Cancelled: Pull is offered again.
        offer.WaitForAssertion(() => Assert.Single(offer.FindAll(".recommended-pull")));
    }

    [Fact]
    public async Task The_models_drawer_lists_models_and_deletes_the_one_in_use_only_after_the_stronger_confirmation()
    {
        _models.Add(ModelJson("small-Q8_0", loaded: false, isDefault: false, size: 3 * 1024 * 1024));
        _models.Add(ModelJson("big-Q4_K_M", loaded: true, isDefault: true, size: 2L * 1024 * 1024 * 1024));
        _delete = request =>
        {
            var id = request.RequestUri!.AbsolutePath["/v1/models/".Length..];
            _models.RemoveAll(model => model.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal));
            return Json($$"""{"id":"{{id}}","object":"model","deleted":true}""");
        };
        var panel = Render<ModelsPanel>();

        panel.WaitForAssertion(() => Assert.Equal(2, panel.FindAll("li.model-row").Count));
        var big = panel.Find("li.model-row[data-model='big-Q4_K_M']");
        Assert.Contains("2 GB", big.QuerySelector(".model-size")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("Q4_K_M", big.QuerySelector(".model-quantization")!.TextContent);
        Assert.Contains("context 8,192", big.QuerySelector(".model-context")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Loaded", big.TextContent, StringComparison.Ordinal);
        Assert.Contains("2 GB on disk", panel.Find("#models-disk").TextContent, StringComparison.Ordinal);

        // Not in use: one plain confirmation, no force.
        panel.Find("li.model-row[data-model='small-Q8_0'] .model-delete").Click();
        Assert.Empty(panel.FindAll(".model-in-use"));
        await panel.InvokeAsync(() => panel.Find(".model-delete-yes").Click());
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("li.model-row")));
        Assert.Contains(Gateway.Requests, request => request.Method == HttpMethod.Delete && request.Uri!.PathAndQuery == "/v1/models/small-Q8_0");

        // In use: the confirmation says so, Cancel sends nothing, and "Delete anyway" forces.
        panel.Find("li.model-row[data-model='big-Q4_K_M'] .model-delete").Click();
        Assert.Contains("is in use (loaded, and the default)", panel.Find(".model-in-use").TextContent, StringComparison.Ordinal);
        panel.Find(".model-delete-no").Click();
        Assert.DoesNotContain(Gateway.Requests, request => request.Uri!.AbsolutePath == "/v1/models/big-Q4_K_M");
        panel.Find("li.model-row[data-model='big-Q4_K_M'] .model-delete").Click();
        await panel.InvokeAsync(() => panel.Find(".model-delete-force").Click());

        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("li.model-row")));
        Assert.Contains(Gateway.Requests, request => request.Method == HttpMethod.Delete && request.Uri!.PathAndQuery == "/v1/models/big-Q4_K_M?force=true");
    }

    [Fact]
    public async Task A_delete_refused_as_in_use_asks_again_the_stronger_way()
    {
        _models.Add(ModelJson("other-Q8_0", loaded: false, isDefault: false, size: 1024));
        _delete = request => request.RequestUri!.Query.Contains("force=true", StringComparison.Ordinal)
            ? Json("""{"id":"other-Q8_0","object":"model","deleted":true}""")
            : FakeGateway.Respond(HttpStatusCode.Conflict,
                """{"error":{"message":"The model other-Q8_0 is loaded.","type":"invalid_request_error","param":"id","code":"model_in_use"}}""", "application/json");
        var panel = Render<ModelsPanel>();
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("li.model-row")));

        panel.Find(".model-delete").Click();
        await panel.InvokeAsync(() => panel.Find(".model-delete-yes").Click());

        panel.WaitForAssertion(() => Assert.Contains("is in use", panel.Find(".model-in-use").TextContent, StringComparison.Ordinal));
        Assert.Single(Gateway.Requests, request => request.Method == HttpMethod.Delete);
    }

    [Fact]
    public async Task Pulling_by_name_from_the_drawer_shows_the_gateway_refusal()
    {
        _pull = _ => FakeGateway.Respond(HttpStatusCode.NotFound,
            """{"error":{"message":"No Q9 in test-org/Stories-GGUF; it has Q4_K_M.","type":"invalid_request_error","param":"model","code":"quantization_not_found"}}""", "application/json");
        var panel = Render<ModelsPanel>();

        panel.Find("#models-pull-name").Input("test-org/Stories-GGUF:Q9");
        await panel.InvokeAsync(() => panel.Find("form.models-pull").Submit());

        panel.WaitForAssertion(() => Assert.Equal("No Q9 in test-org/Stories-GGUF; it has Q4_K_M.", panel.Find("#models-pull-problem").TextContent));
        Assert.Equal("test-org/Stories-GGUF:Q9", panel.Find("#models-pull-name").GetAttribute("value")); // kept, to correct
    }

    private HttpResponseMessage Respond(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        return (request.Method.Method, path) switch
        {
            ("POST", "/v1/models/pull") => _pull?.Invoke(request) ?? Json("{}", HttpStatusCode.InternalServerError),
            ("GET", "/v1/models/pulls") => Json(NextPullList()),
            ("GET", "/v1/models/recommended") => Json("""
                {"object":"list","data":[{"model":"hf.co/test-org/Stories-GGUF:Q4_K_M","name":"Stories test","description":"A tiny model.","purpose":"chat",
                "size_bytes":2254857830,"memory_bytes":3221225472,"license":"Llama 3.2 Community License","license_url":"https://example.com/license"}]}
                """),
            ("GET", "/v1/models") => Json($$"""{"object":"list","data":[{{string.Join(',', _models.Count > 0 || !Pulls.Pulls.Any(pull => pull.Stage == "ready") ? _models : [ModelJson(PulledId, loaded: true, isDefault: true, size: 2048)])}}]}"""),
            ("DELETE", _) => _delete?.Invoke(request) ?? Json("{}", HttpStatusCode.NotFound),
            ("GET", "/health") => Json("""{"status":"no_model","message":"No model."}""", HttpStatusCode.ServiceUnavailable),
            _ => Json("{}", HttpStatusCode.NotFound),
        };
    }

    /// <summary>The queued lists one after another; the last one stays.</summary>
    private string NextPullList()
    {
        lock (_pullLists)
        {
            return _pullLists.Count > 1 ? _pullLists.Dequeue() : _pullLists.Count == 1 ? _pullLists.Peek() : List();
        }
    }

    private static ModelPullStatus Status(string stage, long done, long? total = null, double? speed = null) => new()
    {
        Id = PulledId,
        Model = Reference,
        Stage = stage,
        BytesDone = done,
        BytesTotal = total,
        BytesPerSecond = speed,
        StartedAt = DateTimeOffset.Parse("2026-12-02T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string List(params ModelPullStatus[] statuses) =>
        JsonSerializer.Serialize(new ModelPullList { Data = statuses }, ModelPullJsonContext.Default.ModelPullList);

    private static HttpResponseMessage Ndjson(params ModelPullStatus[] statuses) =>
        FakeGateway.Respond(HttpStatusCode.OK,
            string.Concat(statuses.Select(status => JsonSerializer.Serialize(status, ModelPullJsonContext.Default.ModelPullStatus) + "\n")),
            "application/x-ndjson");

    private static string ModelJson(string id, bool loaded, bool isDefault, long size) =>
        $$"""{"id":"{{id}}","object":"model","created":0,"owned_by":"opeachat","quantization":"{{id[(id.IndexOf('-', StringComparison.Ordinal) + 1)..]}}","file_size":{{size}},"context_length":8192,"loaded":{{(loaded ? "true" : "false")}},"default":{{(isDefault ? "true" : "false")}}}""";

    private static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) => FakeGateway.Respond(status, body, "application/json");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
