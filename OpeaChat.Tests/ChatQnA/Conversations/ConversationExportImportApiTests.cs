using System.Net;
using System.Text;
using System.Text.Json;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>Export (JSON and Markdown) and import over real HTTP.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ConversationExportImportApiTests(GatewayFixture gateway) : ConversationsApiTestBase(gateway), IClassFixture<GatewayFixture>
{

    [Fact]
    public async Task Json_export_imports_as_a_new_conversation_with_the_same_tree()
    {
        var (id, _) = await BranchedConversationAsync();

        using var export = await Client.GetAsync($"/v1/conversations/{id}/export?format=json");
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
        using var import = await Client.PostAsync("/v1/conversations/import", content);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);
        var imported = await import.ReadJsonAsync();
        var newId = imported.GetGuid("id");
        Assert.NotEqual(id, newId);
        Assert.Equal($"/v1/conversations/{newId}", import.Headers.Location?.OriginalString);
        Assert.Equal("Water questions", imported.GetString("title"));
        Assert.Equal("Be brief.", imported.GetString("system_prompt"));

        var original = await Messages.GetTreeAsync(id, CancellationToken.None);
        var copy = await Messages.GetTreeAsync(newId, CancellationToken.None);
        Assert.Equal(Shape(original), Shape(copy));
        Assert.Empty(copy.Messages.Select(m => m.Id).Intersect(original.Messages.Select(m => m.Id)));
        Assert.Equal(
            (await Messages.GetActiveBranchAsync(id, CancellationToken.None)).Select(m => m.Content),
            (await Messages.GetActiveBranchAsync(newId, CancellationToken.None)).Select(m => m.Content));
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

        using var import = await Client.PostAsync("/v1/conversations/import", content);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);
        var newId = (await import.ReadJsonAsync()).GetGuid("id");

        var tree = await Messages.GetTreeAsync(newId, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"message {i}"), tree.Messages.Select(m => m.Content));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"message {i}"),
            (await Messages.GetActiveBranchAsync(newId, CancellationToken.None)).Select(m => m.Content));
    }

    [Fact]
    public async Task Markdown_export_is_the_active_branch_readable()
    {
        var (id, oldBranchText) = await BranchedConversationAsync();

        using var export = await Client.GetAsync($"/v1/conversations/{id}/export?format=markdown");

        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/markdown", export.Content.Headers.ContentType?.MediaType);
        Assert.Equal("water-questions.md", export.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var markdown = await export.Content.ReadAsStringAsync();
        Assert.StartsWith("# Water questions\n", markdown, StringComparison.Ordinal);
        Assert.Contains("## System prompt\n\n```text\nBe brief.\n```\n", markdown, StringComparison.Ordinal);
        var user = markdown.IndexOf("## User\n\n```text\nWhat is rain?\n```\n", StringComparison.Ordinal);
        var assistant = markdown.IndexOf("## Assistant (stories260K, 4 tokens, 50.5 tokens/s)\n\n```text\nWater from clouds. Grüße.\n```\n", StringComparison.Ordinal);
        var edited = markdown.IndexOf("## User\n\n```text\nAnd snow?\n```\n", StringComparison.Ordinal);
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
        using var response = await Client.PostAsync("/v1/conversations/import", content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body", .. field.Split('.')], Loc(await response.ReadJsonAsync()));
    }

    [Theory]
    [InlineData("""{"conversation": {}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "assistant", "content": "x", "status": "streaming"}]}""", "messages.0.status")]
    [InlineData("""{"conversation": {}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "user", "content": "x", "status": "done"}]}""", "messages.0.status")]
    [InlineData("""{"conversation": {"active_leaf_id": "33333333-3333-3333-3333-333333333333"}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "user", "content": "x"}]}""", "conversation.active_leaf_id")]
    [InlineData("""{"conversation": {"active_leaf_id": "33333333-3333-3333-3333-333333333333"}, "messages": []}""", "conversation.active_leaf_id")]
    [InlineData("""{"conversation": {}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "parent_id": "22222222-2222-2222-2222-222222222222", "role": "user", "content": "x"}, {"id": "22222222-2222-2222-2222-222222222222", "parent_id": "11111111-1111-1111-1111-111111111111", "role": "user", "content": "y"}]}""", "messages")]
    public async Task Imports_that_would_store_what_cannot_be_are_refused_and_store_nothing(string body, string field)
    {
        var before = await GetJsonAsync("/v1/conversations?limit=1");
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await Client.PostAsync("/v1/conversations/import", content);

        var error = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, error.ToString());
        Assert.Equal(["body", .. field.Split('.')], Loc(error));
        var after = await GetJsonAsync("/v1/conversations?limit=1");
        Assert.Equal(before.GetProperty("total").GetInt32(), after.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Imported_stopped_and_failed_replies_keep_their_status()
    {
        const string Body = """{"conversation": {}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "user", "content": "q"}, {"id": "22222222-2222-2222-2222-222222222222", "parent_id": "11111111-1111-1111-1111-111111111111", "role": "assistant", "content": "a", "status": "stopped"}, {"id": "33333333-3333-3333-3333-333333333333", "parent_id": "11111111-1111-1111-1111-111111111111", "role": "assistant", "content": "b", "status": "failed"}]}""";
        using var content = new StringContent(Body, Encoding.UTF8, "application/json");
        using var import = await Client.PostAsync("/v1/conversations/import", content);
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);

        var tree = await Messages.GetTreeAsync((await import.ReadJsonAsync()).GetGuid("id"), CancellationToken.None);
        Assert.Equal(["complete", "stopped", "failed"], tree.Messages.Select(m => m.Status));
    }

    [Fact]
    public async Task Markdown_export_keeps_what_messages_say_as_text_not_structure()
    {
        var id = (await Client.PostJsonAsync("/v1/conversations", new { title = "Evil\n## Assistant\n<script>alert(1)</script>" })).GetGuid("id");
        var hostile = "<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n[click](javascript:alert(3))\n```\n## Assistant\n\nI was not said.";
        var u1 = await Messages.AddUserMessageAsync(id, hostile, null, CancellationToken.None);
        await Messages.AddAssistantMessageAsync(id, u1.Id, "Fine.", "complete", "m", null, null, null, CancellationToken.None);

        var markdown = await (await Client.GetAsync($"/v1/conversations/{id}/export?format=markdown")).Content.ReadAsStringAsync();

        var lines = markdown.Split('\n');
        Assert.StartsWith("# Evil \\#\\# Assistant \\<script\\>", lines[0], StringComparison.Ordinal);
        // Outside the fences: exactly the export's own headings, one per message.
        var outside = new List<string>();
        string? fence = null;
        foreach (var line in lines)
        {
            if (fence is null && line.StartsWith("```", StringComparison.Ordinal))
            {
                fence = line.TrimEnd('t', 'e', 'x');
            }
            else if (fence is not null && line.Trim() == fence)
            {
                fence = null;
            }
            else if (fence is null)
            {
                outside.Add(line);
            }
        }

        Assert.Null(fence);
        Assert.Equal(["## User", "## Assistant (m)"], outside.Where(line => line.StartsWith('#') && !line.StartsWith("# ", StringComparison.Ordinal)));
        Assert.DoesNotContain(outside, line => line.Contains('<', StringComparison.Ordinal) && !line.Contains("\\<", StringComparison.Ordinal));
        Assert.DoesNotContain(outside, line => line.Contains("javascript:", StringComparison.Ordinal));
        Assert.Contains("<script>alert(1)</script>\n<img src=x onerror=alert(2)>", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ünïcødé 日本", "ünïcødé-日本", "unic-de")]
    [InlineData("Water questions", "water-questions", "water-questions")]
    [InlineData("日本", "日本", "conversation")]
    [InlineData("../../etc/passwd\r\nX-Evil: 1", "etc-passwd-x-evil-1", "etc-passwd-x-evil-1")]
    public async Task Download_names_keep_the_titles_letters_with_an_ascii_fallback(string title, string name, string ascii)
    {
        var id = (await Client.PostJsonAsync("/v1/conversations", new { title })).GetGuid("id");

        foreach (var (format, extension) in new[] { ("json", "json"), ("markdown", "md") })
        {
            using var export = await Client.GetAsync($"/v1/conversations/{id}/export?format={format}");
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            var disposition = export.Content.Headers.ContentDisposition!;
            Assert.Equal("attachment", disposition.DispositionType);
            Assert.Equal($"{ascii}.{extension}", disposition.FileName?.Trim('"'));
            Assert.Equal($"{name}.{extension}", disposition.FileNameStar);
            var raw = string.Join(", ", export.Content.Headers.GetValues("Content-Disposition"));
            Assert.True(raw.All(char.IsAscii) && !raw.Contains('\n', StringComparison.Ordinal), raw);
        }
    }

    /// <summary>u1 → a1 → u2 (then edited to u2'), so the tree has an old branch that is not active.</summary>
    private async Task<(Guid Id, string OldBranchText)> BranchedConversationAsync()
    {
        var id = (await Client.PostJsonAsync("/v1/conversations", new { title = "Water questions", system_prompt = "Be brief." })).GetGuid("id");
        var u1 = await Messages.AddUserMessageAsync(id, "What is rain?", null, CancellationToken.None);
        var a1 = await Messages.AddAssistantMessageAsync(id, u1.Id, "Water from clouds. Grüße.", "complete", "stories260K", 10, 4, 50.5, CancellationToken.None);
        var u2 = await Messages.AddUserMessageAsync(id, "And hail? (old branch)", null, CancellationToken.None);
        var edited = await Messages.EditUserMessageAsync(id, u2.Id, "And snow?", CancellationToken.None);
        await Messages.AddAssistantMessageAsync(id, edited.Id, "Frozen water.", "stopped", "stories260K", 12, 3, 40, CancellationToken.None);
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
}
