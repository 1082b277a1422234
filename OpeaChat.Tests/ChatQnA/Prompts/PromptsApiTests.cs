using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.Tests.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Prompts;

/// <summary>/v1/prompts over real HTTP: CRUD, the protected built-ins, rendering templates.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class PromptsApiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private readonly HttpClient _client = gateway.Client;

    [Fact]
    public async Task The_built_in_prompts_are_listed_first_with_their_variables()
    {
        var prompts = (await GetJsonAsync("/v1/prompts")).GetProperty("data");

        var assistant = prompts[0];
        Assert.Equal(BuiltInPrompts.AssistantId, assistant.GetString("id"));
        Assert.Equal("system", assistant.GetString("kind"));
        Assert.True(assistant.GetProperty("built_in").GetBoolean());
        Assert.StartsWith("You are a helpful", assistant.GetString("text"), StringComparison.Ordinal);

        var opea = await GetJsonAsync($"/v1/prompts/{BuiltInPrompts.OpeaChatQnAId}");
        Assert.Equal("template", opea.GetString("kind"));
        Assert.Equal("### Search results: {context} ### Question: {question} ### Answer:", opea.GetString("text"));
        Assert.Equal(["context", "question"], opea.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));

        var templates = (await GetJsonAsync("/v1/prompts?kind=template")).GetProperty("data");
        Assert.All(templates.EnumerateArray(), p => Assert.Equal("template", p.GetString("kind")));
    }

    [Fact]
    public async Task Built_in_prompts_cannot_be_changed_or_deleted()
    {
        using var put = await _client.PutAsJsonAsync($"/v1/prompts/{BuiltInPrompts.OpeaChatQnAId}", new { name = "Mine", kind = "template", text = "{question}" });
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("built-in", (await put.ReadJsonAsync()).GetString("detail"), StringComparison.Ordinal);

        using var delete = await _client.DeleteAsync($"/v1/prompts/{BuiltInPrompts.AssistantId}");
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Contains("cannot be deleted", (await delete.ReadJsonAsync()).GetString("detail"), StringComparison.Ordinal);

        Assert.Equal(BuiltInPrompts.OpeaChatQnAText, (await GetJsonAsync($"/v1/prompts/{BuiltInPrompts.OpeaChatQnAId}")).GetString("text"));
    }

    [Fact]
    public async Task Prompts_are_created_read_replaced_and_deleted()
    {
        var created = await _client.PostJsonAsync("/v1/prompts", new { name = "Pirate Voice!", kind = "system", text = "Talk like a pirate about {topic}." });
        var id = created.GetString("id");
        Assert.StartsWith("pirate-voice", id, StringComparison.Ordinal);
        Assert.False(created.GetProperty("built_in").GetBoolean());
        Assert.Equal(["topic"], created.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));

        var second = await _client.PostJsonAsync("/v1/prompts", new { name = "Pirate voice", text = "Arr." });
        Assert.NotEqual(id, second.GetString("id"));
        Assert.Equal("system", second.GetString("kind"));

        using var put = await _client.PutAsJsonAsync($"/v1/prompts/{id}", new { name = "Pirate", kind = "template", text = "Q: {question}" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var replaced = await GetJsonAsync($"/v1/prompts/{id}");
        Assert.Equal(("Pirate", "template", "Q: {question}"), (replaced.GetString("name"), replaced.GetString("kind"), replaced.GetString("text")));

        using var delete = await _client.DeleteAsync($"/v1/prompts/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await _client.GetAsync($"/v1/prompts/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var putGone = await _client.PutAsJsonAsync($"/v1/prompts/{id}", new { name = "x", text = "y" });
        Assert.Equal(HttpStatusCode.NotFound, putGone.StatusCode);
    }

    [Fact]
    public async Task A_chosen_id_is_used_once_and_bad_prompts_are_422()
    {
        var id = "my-" + Guid.NewGuid().ToString("N")[..6];
        await _client.PostJsonAsync("/v1/prompts", new { id, name = "Mine", text = "x" });
        await _client.PostJsonAsync("/v1/prompts", new { id, name = "Again", text = "y" }, HttpStatusCode.Conflict);

        Assert.Equal(["body", "kind"], Loc(await _client.PostJsonAsync("/v1/prompts", new { name = "n", kind = "other", text = "t" }, HttpStatusCode.UnprocessableEntity)));
        Assert.Equal(["body", "name"], Loc(await _client.PostJsonAsync("/v1/prompts", new { text = "t" }, HttpStatusCode.UnprocessableEntity)));
        Assert.Equal(["body", "text"], Loc(await _client.PostJsonAsync("/v1/prompts", new { name = "n", text = "" }, HttpStatusCode.UnprocessableEntity)));
        Assert.Equal(["body", "id"], Loc(await _client.PostJsonAsync("/v1/prompts", new { id = "Has Spaces", name = "n", text = "t" }, HttpStatusCode.UnprocessableEntity)));
    }

    [Theory]
    [InlineData("template", "Hello {question")]
    [InlineData("template", "Hello {question}}")]
    [InlineData("system", "Answer about {topic.")]
    public async Task Templates_that_do_not_parse_are_422_at_text_and_store_nothing(string kind, string text)
    {
        var before = (await GetJsonAsync("/v1/prompts")).GetProperty("data").GetArrayLength();

        var error = await _client.PostJsonAsync("/v1/prompts", new { name = "Broken", kind, text }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal(["body", "text"], Loc(error));
        Assert.Contains("position", error.GetProperty("detail")[0].GetString("msg"), StringComparison.Ordinal);
        Assert.Equal(before, (await GetJsonAsync("/v1/prompts")).GetProperty("data").GetArrayLength());

        var good = await _client.PostJsonAsync("/v1/prompts", new { name = "Fixable", kind, text = "Hello {question}" });
        using var put = await _client.PutAsJsonAsync($"/v1/prompts/{good.GetString("id")}", new { name = "Fixable", kind, text });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        Assert.Equal("Hello {question}", (await GetJsonAsync($"/v1/prompts/{good.GetString("id")}")).GetString("text"));
    }

    [Fact]
    public async Task Rendering_fills_the_template_or_names_what_is_missing()
    {
        var filled = await _client.PostJsonAsync($"/v1/prompts/{BuiltInPrompts.OpeaChatQnAId}/render",
            new { variables = new { context = "Docs.", question = "Why?" } }, HttpStatusCode.OK);
        Assert.Equal("### Search results: Docs. ### Question: Why? ### Answer:", filled.GetString("text"));

        var missing = await _client.PostJsonAsync($"/v1/prompts/{BuiltInPrompts.OpeaChatQnAId}/render",
            new { variables = new { context = "Docs." } }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["body", "variables", "question"], Loc(missing));
        Assert.Contains("{question}", missing.GetProperty("detail")[0].GetString("msg"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_prompt_unlinks_the_conversations_that_used_it()
    {
        var prompt = await _client.PostJsonAsync("/v1/prompts", new { name = "Short-lived", kind = "template", text = "{question}" });
        var conversation = await _client.PostJsonAsync("/v1/conversations", new { prompt_id = prompt.GetString("id") });

        using var delete = await _client.DeleteAsync($"/v1/prompts/{prompt.GetString("id")}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        var after = await GetJsonAsync($"/v1/conversations/{conversation.GetGuid("id")}");
        Assert.Equal(JsonValueKind.Null, after.GetProperty("prompt_id").ValueKind);
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
