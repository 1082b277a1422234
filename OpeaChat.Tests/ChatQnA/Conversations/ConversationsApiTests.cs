using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>/v1/conversations over real HTTP: conversations themselves (create, read, change, delete, list) and errors.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ConversationsApiTests(GatewayFixture gateway) : ConversationsApiTestBase(gateway), IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Create_get_patch_and_delete_round_trip_in_snake_case()
    {
        var created = await Client.PostJsonAsync("/v1/conversations", new
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

        using var patch = await Client.PatchAsJsonAsync($"/v1/conversations/{id}", new { title = "Renamed", seed = (int?)null });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var patched = await patch.ReadJsonAsync();
        Assert.Equal("Renamed", patched.GetString("title"));
        Assert.Equal(JsonValueKind.Null, patched.GetProperty("seed").ValueKind);
        Assert.Equal(64, patched.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Be brief.", patched.GetString("system_prompt"));

        using var get = await Client.GetAsync($"/v1/conversations/{id}");
        Assert.Equal("Renamed", (await get.ReadJsonAsync()).GetString("title"));

        using var delete = await Client.DeleteAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await Client.GetAsync($"/v1/conversations/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var deleteAgain = await Client.DeleteAsync($"/v1/conversations/{id}");
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

        using var response = await Client.SendAsync(request);

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
        using var response = await Client.PostAsync("/v1/conversations", content);

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
        var id = (await Client.PostJsonAsync("/v1/conversations", new { })).GetGuid("id");

        using var badMessage = await Client.PostAsync($"/v1/conversations/{id}/messages/not-a-uuid/activate", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badMessage.StatusCode);
        Assert.Equal(["path", "message_id"], Loc(await badMessage.ReadJsonAsync()));

        using var wrongMethod = await Client.PutAsync($"/v1/conversations/{id}", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);

        using var unknown = await Client.GetAsync($"/v1/conversations/{id}/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Malformed_ids_and_query_values_are_422_in_path_and_query()
    {
        using var badId = await Client.GetAsync("/v1/conversations/not-a-uuid");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badId.StatusCode);
        Assert.Equal(["path", "conversation_id"], Loc(await badId.ReadJsonAsync()));

        using var badLimit = await Client.GetAsync("/v1/conversations?limit=0");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLimit.StatusCode);
        Assert.Equal(["query", "limit"], Loc(await badLimit.ReadJsonAsync()));

        var id = (await Client.PostJsonAsync("/v1/conversations", new { })).GetGuid("id");
        using var badFormat = await Client.GetAsync($"/v1/conversations/{id}/export?format=pdf");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badFormat.StatusCode);
        Assert.Equal(["query", "format"], Loc(await badFormat.ReadJsonAsync()));
    }

    [Fact]
    public async Task The_list_is_newest_first_searchable_and_paged()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var first = (await Client.PostJsonAsync("/v1/conversations", new { title = $"Alpha {marker}" })).GetGuid("id");
        var second = (await Client.PostJsonAsync("/v1/conversations", new { title = "Beta" })).GetGuid("id");
        await Messages.AddUserMessageAsync(second, $"A message mentioning {marker.ToUpperInvariant()}", null, CancellationToken.None);
        var third = (await Client.PostJsonAsync("/v1/conversations", new { title = "Gamma" })).GetGuid("id");

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
}
