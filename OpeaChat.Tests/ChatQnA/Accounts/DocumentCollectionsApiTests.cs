using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Tests.ChatQnA.Dataprep;
using OpeaChat.Tests.ChatQnA.Retrieval;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Accounts;

/// <summary>
/// Each person's documents on a team's gateway, over real HTTP with real embeddings from the test model: what a person
/// adds is theirs alone (listed, retrieved and deleted by them only), shared collections are read by everyone and
/// changed by admins and service keys.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class DocumentCollectionsApiTests(RetrievalInferenceFixture inference) : AccountsTestBase, IClassFixture<RetrievalInferenceFixture>
{
    private const string LockerFact = "Alice's locker on the third floor opens with the code 4417.";

    protected override Uri InferenceAddress => inference.Host.BaseAddress;

    protected override Task<(string DataDirectory, (string Key, string? Value)[] Settings)> StoreAsync() =>
        Task.FromResult((NewDirectory().Path, Array.Empty<(string, string?)>()));

    [Fact]
    public async Task A_persons_documents_are_theirs_alone_and_shared_ones_are_read_by_all_and_changed_by_admins()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");
        var alice = await gateway.SignUpAsync("alice");
        var bob = await gateway.SignUpAsync("bob");

        Assert.Equal(HttpStatusCode.OK, (await IngestAsync(gateway, "locker.txt", LockerFact, user: alice)).Status);
        Assert.Equal(HttpStatusCode.OK, (await IngestAsync(gateway, "ferry.txt", TestCorpus.TextFact, user: admin, shared: "true")).Status);
        Assert.Equal(HttpStatusCode.OK, (await IngestAsync(gateway, "service.txt", "The canteen serves soup on Tuesdays.", key: ServiceKey)).Status);

        // A member cannot add to the shared collection; the refusal stores nothing.
        var refused = await IngestAsync(gateway, "bobs.txt", "Bob's note.", user: bob, shared: "true");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("admins", refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var alices = await WaitUntilSearchableAsync(gateway, alice, 3);
        Assert.Equal([("ferry.txt", true), ("locker.txt", false), ("service.txt", true)], alices.Select(file => (Name(file), file.GetProperty("shared").GetBoolean())).Order());
        Assert.All(alices, file => Assert.Equal("default", file.GetProperty("index_name").GetString()));
        var lockerId = alices.Single(file => Name(file) == "locker.txt").GetProperty("id").GetString()!;
        var ferryId = alices.Single(file => Name(file) == "ferry.txt").GetProperty("id").GetString()!;
        Assert.Equal(["ferry.txt", "service.txt"], (await ListAsync(gateway, user: bob)).Select(Name).Order());
        Assert.Equal(["ferry.txt", "service.txt"], (await ListAsync(gateway, user: admin)).Select(Name).Order());
        Assert.Equal(["ferry.txt", "service.txt"], (await ListAsync(gateway, key: ServiceKey)).Select(Name).Order());

        // Retrieval reads one's own and the shared collection, never another person's.
        Assert.Contains("locker.txt", await SourcesAsync(gateway, alice, "What is the code of Alice's locker?"));
        var bobsSources = await SourcesAsync(gateway, bob, "What is the code of Alice's locker?");
        Assert.DoesNotContain("locker.txt", bobsSources);
        Assert.NotEmpty(bobsSources);
        Assert.Contains("ferry.txt", await SourcesAsync(gateway, bob, "When does the ferry to Oskarholm leave?"));

        // Someone else's document is not found, by id or by name, not even by an admin; a shared one is refused to members.
        await gateway.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = lockerId }, user: bob);
        await gateway.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = "locker.txt" }, user: bob);
        await gateway.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = lockerId }, user: admin);
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = ferryId }, user: bob);
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = "ferry.txt", shared = true }, user: bob);
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = "all", shared = true }, user: bob);
        // Bob's "all" is all of his own: nothing of anyone else's goes.
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = "all" }, user: bob);
        Assert.Equal(["ferry.txt", "locker.txt", "service.txt"], (await ListAsync(gateway, user: alice)).Select(Name).Order());

        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = "locker.txt" }, user: alice);
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/dataprep/delete", new { file_path = "ferry.txt", shared = true }, user: admin);
        Assert.Equal(["service.txt"], (await ListAsync(gateway, user: alice)).Select(Name));
        Assert.DoesNotContain("locker.txt", await SourcesAsync(gateway, alice, "What is the code of Alice's locker?"));
    }

    [Fact]
    public async Task A_bad_shared_field_is_refused_with_the_field_and_stores_nothing()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");

        var refused = await IngestAsync(gateway, "notes.txt", "Notes.", user: admin, shared: "maybe");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        var issue = refused.Json.GetProperty("detail")[0];
        Assert.Equal("shared", issue.GetProperty("loc")[1].GetString());
        Assert.Contains("true or false", issue.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Empty(await ListAsync(gateway, user: admin));
    }

    [Fact]
    public async Task Deleting_an_account_deletes_its_own_documents_and_keeps_the_shared_ones()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");
        var alice = await gateway.SignUpAsync("alice");
        Assert.Equal(HttpStatusCode.OK, (await IngestAsync(gateway, "locker.txt", LockerFact, user: alice)).Status);
        Assert.Equal(HttpStatusCode.OK, (await IngestAsync(gateway, "ferry.txt", TestCorpus.TextFact, user: admin, shared: "true")).Status);
        await WaitUntilSearchableAsync(gateway, alice, 2);

        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/accounts/{alice}", user: admin);

        // Straight from the store: no row of hers is left behind, unreachable.
        var store = gateway.Host.Services.GetRequiredService<IDocumentStore>();
        var left = await store.ListAsync(null, CancellationToken.None);
        Assert.Equal([("ferry.txt", "default")], left.Select(document => (document.Name, document.IndexName)));
        Assert.Equal(0, await store.CountChunksAsync(DocumentCollections.StorageName("default", new OpeaChat.ChatQnA.Accounts.Caller(
            OpeaChat.ChatQnA.Accounts.CallerKind.Person, alice, IsAdmin: false), shared: false), CancellationToken.None));
    }

    [Fact]
    public async Task Documents_from_before_accounts_are_the_first_admins_until_shared_in_one_step()
    {
        var directory = NewDirectory();
        using (var local = GatewayHost.Start(InferenceAddress, directory.Path, ("Logging:LogLevel:Default", "Warning")))
        {
            var before = new Gateway(local);
            Assert.Equal(HttpStatusCode.OK, (await IngestAsync(before, "ferry.txt", TestCorpus.TextFact)).Status);
            await WaitUntilSearchableAsync(before, "nobody", 1);
        }

        var gateway = Start(directory.Path);
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        // As conversations and prompts do, the old collection became the first admin's own: bob neither lists nor retrieves it.
        Assert.Equal([("ferry.txt", false)], (await ListAsync(gateway, user: admin)).Select(file => (Name(file), file.GetProperty("shared").GetBoolean())));
        Assert.Empty(await ListAsync(gateway, user: bob));
        Assert.DoesNotContain("ferry.txt", await SourcesAsync(gateway, bob, "When does the ferry to Oskarholm leave?"));

        // Refusals, each in OPEA's shape, each moving nothing.
        var notAdmin = await gateway.SendAsync(HttpMethod.Post, "/v1/dataprep/share", new { index_name = "default" }, user: bob);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.Status);
        Assert.Contains("Only an admin", notAdmin.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var service = await gateway.SendAsync(HttpMethod.Post, "/v1/dataprep/share", new { index_name = "default" }, key: ServiceKey);
        Assert.Equal(HttpStatusCode.BadRequest, service.Status);
        var missing = await gateway.SendAsync(HttpMethod.Post, "/v1/dataprep/share", new { }, user: admin);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.Status);
        Assert.Equal("index_name", missing.Json.GetProperty("detail")[0].GetProperty("loc")[1].GetString());
        var badName = await gateway.SendAsync(HttpMethod.Post, "/v1/dataprep/share", new { index_name = "a@b" }, user: admin);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badName.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.SendAsync(HttpMethod.Post, "/v1/dataprep/share", new { index_name = "nothing" }, user: admin)).Status);
        Assert.Empty(await ListAsync(gateway, user: bob));

        // Shared: bob lists and retrieves it now; only admins change it.
        var shared = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/dataprep/share", new { index_name = "default" }, user: admin);
        Assert.Equal(1, shared.GetProperty("documents").GetInt32());
        Assert.Equal([("ferry.txt", true)], (await ListAsync(gateway, user: bob)).Select(file => (Name(file), file.GetProperty("shared").GetBoolean())));
        Assert.Contains("ferry.txt", await SourcesAsync(gateway, bob, "When does the ferry to Oskarholm leave?"));

        // A clash by name with the shared collection moves nothing and says which.
        Assert.Equal(HttpStatusCode.OK, (await IngestAsync(gateway, "ferry.txt", "The admin's own ferry notes.", user: admin)).Status);
        await WaitUntilSearchableAsync(gateway, admin, 2);
        var clash = await gateway.SendAsync(HttpMethod.Post, "/v1/dataprep/share", new { index_name = "default" }, user: admin);
        Assert.Equal(HttpStatusCode.Conflict, clash.Status);
        Assert.Contains("ferry.txt", clash.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal([("ferry.txt", false), ("ferry.txt", true)], (await ListAsync(gateway, user: admin)).Select(file => (Name(file), file.GetProperty("shared").GetBoolean())).Order());
    }

    private static string Name(JsonElement file) => file.GetProperty("name").GetString()!;

    private static async Task<(HttpStatusCode Status, JsonElement Json)> IngestAsync(Gateway gateway, string name, string text, string key = ForwarderKey, string? user = null, string? shared = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(file, "files", name);
        if (shared is not null)
        {
            form.Add(new StringContent(shared), "shared");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/dataprep/ingest") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (user is not null)
        {
            request.Headers.Add("OpeaChat-User", user);
        }

        using var response = await gateway.Host.Client.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.Clone());
    }

    private static async Task<List<JsonElement>> ListAsync(Gateway gateway, string key = ForwarderKey, string? user = null) =>
        (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/dataprep/get", new { }, key, user)).EnumerateArray().ToList();

    private static async Task<List<JsonElement>> WaitUntilSearchableAsync(Gateway gateway, string user, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var files = await ListAsync(gateway, user: user);
            if (files.Count == count && files.All(file => file.GetProperty("status").GetString() is "searchable" or "failed"))
            {
                Assert.All(files, file => Assert.True(file.GetProperty("status").GetString() == "searchable", file.GetRawText()));
                return files;
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    /// <summary>The documents a person's question retrieves, from the sources of a short OPEA answer.</summary>
    private static async Task<List<string>> SourcesAsync(Gateway gateway, string user, string question)
    {
        var answer = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/chatqna", new { messages = question, max_tokens = 2, stream = false }, user: user);
        return answer.TryGetProperty("sources", out var sources)
            ? sources.EnumerateArray().Select(source => source.GetProperty("document").GetString()!).ToList()
            : [];
    }
}
