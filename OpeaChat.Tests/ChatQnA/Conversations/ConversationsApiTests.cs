using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.ChatQnA.Conversations;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>/v1/conversations over real HTTP, on a gateway with its own SQLite file.</summary>
public sealed class ConversationsApiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private readonly HttpClient _client = gateway.Client;
    private readonly MessageTreeStore _messages = gateway.Host.Messages;

    [Fact]
    public async Task Create_get_patch_and_delete_round_trip_in_snake_case()
    {
        var created = await _client.PostJsonAsync("/v1/conversations", new
        {
            system_prompt = "Be brief.",
            model = "stories260K",
            prompt_id = "opea-chatqna",
            variables = new { context = "Some documents." },
            temperature = 0.5,
            top_p = 0.9,
            max_tokens = 64,
            seed = 7,
        });
        var id = created.GetGuid("id");
        Assert.Equal(JsonValueKind.Null, created.GetProperty("title").ValueKind);
        Assert.Equal("Be brief.", created.GetString("system_prompt"));
        Assert.Equal("opea-chatqna", created.GetString("prompt_id"));
        Assert.Equal("Some documents.", created.GetProperty("variables").GetProperty("context").GetString());
        Assert.Equal(0.9, created.GetProperty("top_p").GetDouble(), 5);
        Assert.Equal(JsonValueKind.Null, created.GetProperty("active_leaf_id").ValueKind);

        using var patch = await _client.PatchAsJsonAsync($"/v1/conversations/{id}", new { title = "Renamed", seed = (int?)null });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var patched = await patch.ReadJsonAsync();
        Assert.Equal("Renamed", patched.GetString("title"));
        Assert.Equal(JsonValueKind.Null, patched.GetProperty("seed").ValueKind);
        Assert.Equal(64, patched.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Be brief.", patched.GetString("system_prompt"));

        using var get = await _client.GetAsync($"/v1/conversations/{id}");
        Assert.Equal("Renamed", (await get.ReadJsonAsync()).GetString("title"));

        using var delete = await _client.DeleteAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await _client.GetAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var deleteAgain = await _client.DeleteAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NotFound, deleteAgain.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/v1/conversations/{0}")]
    [InlineData("PATCH", "/v1/conversations/{0}")]
    [InlineData("DELETE", "/v1/conversations/{0}")]
    [InlineData("GET", "/v1/conversations/{0}/messages")]
    [InlineData("GET", "/v1/conversations/{0}/export")]
    public async Task Unknown_ids_are_404_with_a_detail(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Guid.NewGuid()));
        if (method == "PATCH")
        {
            request.Content = JsonContent.Create(new { title = "x" });
        }

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not found", (await response.ReadJsonAsync()).GetString("detail"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"temperature": 3}""", "temperature")]
    [InlineData("""{"top_p": 0}""", "top_p")]
    [InlineData("""{"max_tokens": 0}""", "max_tokens")]
    [InlineData("""{"temperature": "hot"}""", "temperature")]
    [InlineData("""{"variables": {"a": 1}}""", "variables.a")]
    [InlineData("""{"prompt_id": "no-such-prompt"}""", "prompt_id")]
    [InlineData("""{"title": 5""", null)]
    [InlineData("""[1, 2]""", null)]
    public async Task Invalid_bodies_are_422_naming_the_field(string body, string? field)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/v1/conversations", content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var issue = (await response.ReadJsonAsync()).GetProperty("detail")[0];
        var loc = issue.GetProperty("loc").EnumerateArray().Select(part => part.GetString()).ToList();
        Assert.Equal("body", loc[0]);
        if (field is not null)
        {
            Assert.Equal(field, string.Join('.', loc.Skip(1)));
        }

        Assert.False(string.IsNullOrWhiteSpace(issue.GetString("msg")));
        Assert.False(string.IsNullOrWhiteSpace(issue.GetString("type")));
    }

    [Fact]
    public async Task A_malformed_message_id_is_422_and_a_known_path_with_another_method_is_405()
    {
        var id = (await _client.PostJsonAsync("/v1/conversations", new { })).GetGuid("id");

        using var badMessage = await _client.PostAsync($"/v1/conversations/{id}/messages/not-a-uuid/activate", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badMessage.StatusCode);
        Assert.Equal(["path", "message_id"], Loc(await badMessage.ReadJsonAsync()));

        using var wrongMethod = await _client.PutAsync($"/v1/conversations/{id}", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);

        using var unknown = await _client.GetAsync($"/v1/conversations/{id}/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Malformed_ids_and_query_values_are_422_in_path_and_query()
    {
        using var badId = await _client.GetAsync("/v1/conversations/not-a-uuid");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badId.StatusCode);
        Assert.Equal(["path", "conversation_id"], Loc(await badId.ReadJsonAsync()));

        using var badLimit = await _client.GetAsync("/v1/conversations?limit=0");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLimit.StatusCode);
        Assert.Equal(["query", "limit"], Loc(await badLimit.ReadJsonAsync()));

        var id = (await _client.PostJsonAsync("/v1/conversations", new { })).GetGuid("id");
        using var badFormat = await _client.GetAsync($"/v1/conversations/{id}/export?format=pdf");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badFormat.StatusCode);
        Assert.Equal(["query", "format"], Loc(await badFormat.ReadJsonAsync()));
    }

    [Fact]
    public async Task The_list_is_newest_first_searchable_and_paged()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var first = (await _client.PostJsonAsync("/v1/conversations", new { title = $"Alpha {marker}" })).GetGuid("id");
        var second = (await _client.PostJsonAsync("/v1/conversations", new { title = "Beta" })).GetGuid("id");
        await _messages.AddUserMessageAsync(second, $"A message mentioning {marker.ToUpperInvariant()}", null, CancellationToken.None);
        var third = (await _client.PostJsonAsync("/v1/conversations", new { title = "Gamma" })).GetGuid("id");

        var all = await GetJsonAsync("/v1/conversations?limit=200");
        var ids = all.GetProperty("data").EnumerateArray().Select(c => c.GetGuid("id")).ToList();
        Assert.Equal([third, second, first], ids.Where(new[] { first, second, third }.Contains));
        var updated = all.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("updated_at").GetDateTimeOffset()).ToList();
        Assert.Equal(updated.OrderByDescending(t => t), updated);

        var found = await GetJsonAsync($"/v1/conversations?q={marker}");
        Assert.Equal(2, found.GetProperty("total").GetInt32());
        Assert.Equal([second, first], found.GetProperty("data").EnumerateArray().Select(c => c.GetGuid("id")));

        var page = await GetJsonAsync($"/v1/conversations?q={marker}&limit=1&offset=1");
        Assert.Equal([first], page.GetProperty("data").EnumerateArray().Select(c => c.GetGuid("id")));
        Assert.Equal((1, 1, 2), (page.GetProperty("limit").GetInt32(), page.GetProperty("offset").GetInt32(), page.GetProperty("total").GetInt32()));
    }

    [Fact]
    public async Task Messages_show_the_active_branch_with_siblings_and_editing_a_user_message_branches()
    {
        var id = (await _client.PostJsonAsync("/v1/conversations", new { })).GetGuid("id");
        var u1 = await _messages.AddUserMessageAsync(id, "What is rain?", null, CancellationToken.None);
        var a1 = await _messages.AddAssistantMessageAsync(id, u1.Id, "Water from clouds.", "complete", "stories260K", 10, 4, 50.5, CancellationToken.None);

        var messages = (await GetJsonAsync($"/v1/conversations/{id}/messages")).GetProperty("data");
        Assert.Equal(2, messages.GetArrayLength());
        var reply = messages[1];
        Assert.Equal(a1.Id, reply.GetGuid("id"));
        Assert.Equal(u1.Id, reply.GetGuid("parent_id"));
        Assert.Equal("assistant", reply.GetString("role"));
        Assert.Equal("complete", reply.GetString("status"));
        Assert.Equal("stories260K", reply.GetString("model"));
        Assert.Equal((10, 4), (reply.GetProperty("prompt_tokens").GetInt32(), reply.GetProperty("completion_tokens").GetInt32()));
        Assert.Equal(50.5, reply.GetProperty("tokens_per_second").GetDouble());
        Assert.Equal((1, 0), (reply.GetProperty("sibling_count").GetInt32(), reply.GetProperty("sibling_index").GetInt32()));
        Assert.Equal(JsonValueKind.Null, messages[0].GetProperty("parent_id").ValueKind);
        Assert.Equal("What is rain?", (await GetJsonAsync($"/v1/conversations/{id}")).GetString("title"));

        using var edit = await _client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{u1.Id}", new { content = "What is snow?" });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var edited = await edit.ReadJsonAsync();
        Assert.NotEqual(u1.Id, edited.GetGuid("id"));
        Assert.Equal("What is snow?", edited.GetString("content"));
        Assert.Equal((2, 1), (edited.GetProperty("sibling_count").GetInt32(), edited.GetProperty("sibling_index").GetInt32()));

        var branch = (await GetJsonAsync($"/v1/conversations/{id}/messages")).GetProperty("data");
        Assert.Equal([edited.GetGuid("id")], branch.EnumerateArray().Select(m => m.GetGuid("id")));

        using var editReply = await _client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{a1.Id}", new { content = "x" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, editReply.StatusCode);
        using var editEmpty = await _client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{u1.Id}", new { content = " " });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, editEmpty.StatusCode);
        using var editUnknown = await _client.PatchAsJsonAsync($"/v1/conversations/{id}/messages/{Guid.NewGuid()}", new { content = "x" });
        Assert.Equal(HttpStatusCode.NotFound, editUnknown.StatusCode);

        // Back to the first version: its reply comes back with it.
        using var activate = await _client.PostAsync($"/v1/conversations/{id}/messages/{u1.Id}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activate.StatusCode);
        Assert.Equal([u1.Id, a1.Id], (await activate.ReadJsonAsync()).GetProperty("data").EnumerateArray().Select(m => m.GetGuid("id")));
    }

    [Fact]
    public async Task Json_export_imports_as_a_new_conversation_with_the_same_tree()
    {
        var (id, _) = await BranchedConversationAsync();

        using var export = await _client.GetAsync($"/v1/conversations/{id}/export?format=json");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("application/json", export.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", export.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("water-questions.json", export.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var body = await export.Content.ReadAsStringAsync();
        Assert.Contains("Grüße", body, StringComparison.Ordinal);
        using var exported = JsonDocument.Parse(body);
        Assert.Equal("opeachat.conversation", exported.RootElement.GetString("format"));
        Assert.Equal(5, exported.RootElement.GetProperty("messages").GetArrayLength());

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var import = await _client.PostAsync("/v1/conversations/import", content);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);
        var imported = await import.ReadJsonAsync();
        var newId = imported.GetGuid("id");
        Assert.NotEqual(id, newId);
        Assert.Equal($"/v1/conversations/{newId}", import.Headers.Location?.OriginalString);
        Assert.Equal("Water questions", imported.GetString("title"));
        Assert.Equal("Be brief.", imported.GetString("system_prompt"));

        var original = await _messages.GetTreeAsync(id, CancellationToken.None);
        var copy = await _messages.GetTreeAsync(newId, CancellationToken.None);
        Assert.Equal(Shape(original), Shape(copy));
        Assert.Empty(copy.Messages.Select(m => m.Id).Intersect(original.Messages.Select(m => m.Id)));
        Assert.Equal(
            (await _messages.GetActiveBranchAsync(id, CancellationToken.None)).Select(m => m.Content),
            (await _messages.GetActiveBranchAsync(newId, CancellationToken.None)).Select(m => m.Content));
        Assert.Equal(original.Messages.Select(m => m.CreatedAt), copy.Messages.Select(m => m.CreatedAt));
    }

    [Fact]
    public async Task Imported_messages_without_times_keep_the_files_order()
    {
        var ids = Enumerable.Range(1, 12).Select(i => Guid.Parse($"00000000-0000-0000-0000-{i:D12}")).ToArray();
        var messages = ids.Select((id, i) => new
        {
            id,
            parent_id = i == 0 ? (Guid?)null : ids[i - 1],
            role = i % 2 == 0 ? "user" : "assistant",
            content = $"message {i}",
        });
        using var content = new StringContent(
            JsonSerializer.Serialize(new { conversation = new { title = "No times" }, messages }), Encoding.UTF8, "application/json");

        using var import = await _client.PostAsync("/v1/conversations/import", content);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);
        var newId = (await import.ReadJsonAsync()).GetGuid("id");

        var tree = await _messages.GetTreeAsync(newId, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"message {i}"), tree.Messages.Select(m => m.Content));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"message {i}"),
            (await _messages.GetActiveBranchAsync(newId, CancellationToken.None)).Select(m => m.Content));
    }

    [Fact]
    public async Task Markdown_export_is_the_active_branch_readable()
    {
        var (id, oldBranchText) = await BranchedConversationAsync();

        using var export = await _client.GetAsync($"/v1/conversations/{id}/export?format=markdown");

        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/markdown", export.Content.Headers.ContentType?.MediaType);
        Assert.Equal("water-questions.md", export.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var markdown = await export.Content.ReadAsStringAsync();
        Assert.StartsWith("# Water questions\n", markdown, StringComparison.Ordinal);
        Assert.Contains("## System prompt\n\nBe brief.", markdown, StringComparison.Ordinal);
        var user = markdown.IndexOf("## User\n\nWhat is rain?", StringComparison.Ordinal);
        var assistant = markdown.IndexOf("## Assistant (stories260K, 4 tokens, 50.5 tokens/s)\n\nWater from clouds. Grüße.", StringComparison.Ordinal);
        var edited = markdown.IndexOf("## User\n\nAnd snow?", StringComparison.Ordinal);
        Assert.True(user >= 0 && assistant > user && edited > assistant, markdown);
        Assert.DoesNotContain(oldBranchText, markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"format": "something-else", "conversation": {}}""", "format")]
    [InlineData("""{"messages": []}""", "conversation")]
    [InlineData("""{"conversation": {}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "robot", "content": "x"}]}""", "messages.0.role")]
    [InlineData("""{"conversation": {}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "parent_id": "22222222-2222-2222-2222-222222222222", "role": "user", "content": "x"}]}""", "messages.0.parent_id")]
    [InlineData("""{"conversation": {}, "messages": [{"role": "user", "content": "x"}]}""", "messages.0.id")]
    public async Task Invalid_imports_are_422_naming_the_field(string body, string field)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/v1/conversations/import", content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body", .. field.Split('.')], Loc(await response.ReadJsonAsync()));
    }

    /// <summary>u1 → a1 → u2 (then edited to u2'), so the tree has an old branch that is not active.</summary>
    private async Task<(Guid Id, string OldBranchText)> BranchedConversationAsync()
    {
        var id = (await _client.PostJsonAsync("/v1/conversations", new { title = "Water questions", system_prompt = "Be brief." })).GetGuid("id");
        var u1 = await _messages.AddUserMessageAsync(id, "What is rain?", null, CancellationToken.None);
        var a1 = await _messages.AddAssistantMessageAsync(id, u1.Id, "Water from clouds. Grüße.", "complete", "stories260K", 10, 4, 50.5, CancellationToken.None);
        var u2 = await _messages.AddUserMessageAsync(id, "And hail? (old branch)", null, CancellationToken.None);
        var edited = await _messages.EditUserMessageAsync(id, u2.Id, "And snow?", CancellationToken.None);
        await _messages.AddAssistantMessageAsync(id, edited.Id, "Frozen water.", "stopped", "stories260K", 12, 3, 40, CancellationToken.None);
        Assert.Equal(a1.Id, edited.ParentId);
        return (id, "(old branch)");
    }

    /// <summary>The tree without ids: each message's role, content, status and its parent's content.</summary>
    private static List<string> Shape(ConversationTree tree)
    {
        var byId = tree.Messages.ToDictionary(m => m.Id);
        return tree.Messages
            .Select(m => $"{m.Role}|{m.Content}|{m.Status}|{m.Model}|{m.CompletionTokens}|{(m.ParentId is { } p ? byId[p].Content : "<root>")}")
            .ToList();
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {json}");
        return json;
    }

    private static List<string?> Loc(JsonElement error) =>
        error.GetProperty("detail")[0].GetProperty("loc").EnumerateArray().Select(part => part.GetString()).ToList();
}
