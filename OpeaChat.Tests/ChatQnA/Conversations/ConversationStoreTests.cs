using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>The conversation store's semantics (settings, titles, listing and search, deleting) on a real SQLite file.</summary>
public class ConversationStoreTests : StoreTestBase
{
    [Fact]
    public async Task The_first_user_message_names_an_untitled_conversation_and_a_given_title_stays()
    {
        var untitled = await Store.CreateAsync(new ConversationSettings(), Token);
        await Messages.AddUserMessageAsync(untitled.Id,
            "Tell me about\nthe water cycle in simple words, with examples from everyday life please", null, Token);
        await Messages.AddUserMessageAsync(untitled.Id, "And clouds?", null, Token);
        var titled = await Store.CreateAsync(new ConversationSettings { Title = "Mine" }, Token);
        await Messages.AddUserMessageAsync(titled.Id, "Hello there", null, Token);

        Assert.Equal("Tell me about the water cycle in simple words, with…", (await Store.GetAsync(untitled.Id, Token))!.Title);
        Assert.Equal("Mine", (await Store.GetAsync(titled.Id, Token))!.Title);
    }

    [Theory]
    [InlineData("Hi", "Hi")]
    [InlineData("  two\n\nlines\t here ", "two lines here")]
    [InlineData("exactly sixty characters long message text for the title: ok", "exactly sixty characters long message text for the title: ok")]
    [InlineData("Supercalifragilisticexpialidocious-is-a-very-long-word-without-spaces-at-all", "Supercalifragilisticexpialidocious-is-a-very-long-word-with…")]
    public void Titles_are_one_line_of_at_most_sixty_characters(string message, string title)
    {
        var made = ConversationTitle.FromMessage(message);

        Assert.Equal(title, made);
        Assert.True(made.Length <= ConversationTitle.MaxLength, made);
    }

    [Fact]
    public async Task Deleting_a_conversation_deletes_its_messages()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings(), Token);
        await TwoTurnsAsync(conversation.Id);
        var other = await Store.CreateAsync(new ConversationSettings(), Token);
        await TwoTurnsAsync(other.Id);

        Assert.True(await Store.DeleteAsync(conversation.Id, Token));
        Assert.False(await Store.DeleteAsync(conversation.Id, Token));

        Assert.Null(await Store.GetAsync(conversation.Id, Token));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(0, await db.Messages.CountAsync(m => m.ConversationId == conversation.Id));
        Assert.Equal(4, await db.Messages.CountAsync(m => m.ConversationId == other.Id));
    }

    [Fact]
    public async Task A_chain_deeper_than_any_trigger_limit_imports_branches_and_deletes()
    {
        const int Length = 5_000;
        var ids = Enumerable.Range(0, Length).Select(_ => Guid.NewGuid()).ToArray();
        var import = new ConversationImport
        {
            Conversation = new ImportedConversation { Title = "Deep" },
            Messages = [.. ids.Select((id, i) => new ImportedMessage
            {
                Id = id,
                ParentId = i == 0 ? null : ids[i - 1],
                Role = i % 2 == 0 ? "user" : "assistant",
                Content = $"m{i}",
            })],
        };
        var other = await Store.CreateAsync(new ConversationSettings(), Token);
        await TwoTurnsAsync(other.Id);

        var conversation = await Store.ImportAsync(import, Token);
        var branch = await Messages.GetActiveBranchAsync(conversation.Id, Token);
        Assert.Equal(Length, branch.Count);
        var edited = await Messages.EditUserMessageAsync(conversation.Id, branch[Length - 2].Id, "another way", Token);
        Assert.Equal(Length - 1, (await Messages.GetActiveBranchAsync(conversation.Id, Token)).Count);
        Assert.Equal(Length, (await Messages.ActivateAsync(conversation.Id, branch[^1].Id, Token)).Count);
        Assert.Equal(Length + 1, (await Messages.GetTreeAsync(conversation.Id, Token)).Messages.Count);
        Assert.Equal(branch[Length - 3].Id, edited.ParentId);

        Assert.True(await Store.DeleteAsync(conversation.Id, Token));

        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(0, await db.Messages.CountAsync(m => m.ConversationId == conversation.Id));
        Assert.Equal(4, await db.Messages.CountAsync(m => m.ConversationId == other.Id));
    }

    [Fact]
    public async Task Listing_is_newest_first_and_search_ignores_case_in_titles_and_messages()
    {
        var old = await Store.CreateAsync(new ConversationSettings { Title = "Gardening notes" }, Token);
        var middle = await Store.CreateAsync(new ConversationSettings { Title = "Trip" }, Token);
        await Messages.AddUserMessageAsync(middle.Id, "Viel ÄRGER mit dem Zug", null, Token);
        var newest = await Store.CreateAsync(new ConversationSettings(), Token);

        var all = await Store.ListAsync(null, 50, 0, Token);
        Assert.Equal([newest.Id, middle.Id, old.Id], all.Data.Select(c => c.Id));
        Assert.Equal(3, all.Total);

        Assert.Equal([old.Id], (await Store.ListAsync("GARDEN", 50, 0, Token)).Data.Select(c => c.Id));
        Assert.Equal([middle.Id], (await Store.ListAsync("ärger", 50, 0, Token)).Data.Select(c => c.Id));
        Assert.Empty((await Store.ListAsync("nothing like this", 50, 0, Token)).Data);

        var second = await Store.ListAsync(null, 1, 1, Token);
        Assert.Equal([middle.Id], second.Data.Select(c => c.Id));
        Assert.Equal(3, second.Total);
    }

    [Fact]
    public async Task Settings_round_trip_and_updates_change_only_what_is_given()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings
        {
            Title = "T",
            SystemPrompt = "S",
            Model = "m",
            PromptId = BuiltInPrompts.OpeaChatQnAId,
            Variables = new() { ["context"] = "docs" },
            Temperature = 0.5f,
            TopP = 0.9f,
            MaxTokens = 64,
            Seed = 42,
        }, Token);

        var updated = await Store.UpdateAsync(conversation.Id, new ConversationChanges { Title = new("New"), Seed = new(null) }, Token);

        Assert.Equal("New", updated.Title);
        Assert.Null(updated.Seed);
        Assert.Equal(("S", "m", BuiltInPrompts.OpeaChatQnAId, 0.5f, 0.9f, 64), (updated.SystemPrompt, updated.Model, updated.PromptId, updated.Temperature, updated.TopP, updated.MaxTokens));
        Assert.Equal("docs", (await Store.GetAsync(conversation.Id, Token))!.Variables["context"]);
        var unknownPrompt = await Assert.ThrowsAsync<ConversationStoreException>(
            () => Store.UpdateAsync(conversation.Id, new ConversationChanges { PromptId = new("no-such-prompt") }, Token));
        Assert.Equal("prompt_id", unknownPrompt.Field);
    }
}

/// <summary>The same tests on PostgreSQL 15 (a throwaway cluster, <see cref="Infrastructure.PostgresServer"/>).</summary>
[Collection(Infrastructure.PostgresCollection.Name)]
public sealed class PostgresConversationStoreTests(Infrastructure.PostgresServer server) : ConversationStoreTests
{
    protected override Task<IDbContextFactory<OpeaChat.ChatQnA.Data.ConversationsDbContext>> CreateContextsAsync(
        Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor[] interceptors) => PostgresStore.CreateAsync(server, interceptors);
}
