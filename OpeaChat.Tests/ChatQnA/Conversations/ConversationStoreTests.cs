using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>The store's semantics on a real SQLite file, migrated as the gateway migrates it.</summary>
public sealed class ConversationStoreTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FailingCommit _failingCommit = new();
    private readonly CommandLog _commands = new();
    private IDbContextFactory<ConversationsDbContext> _contexts = null!;
    private ConversationStore _store = null!;
    private MessageTreeStore _messages = null!;

    private static CancellationToken Token => CancellationToken.None;

    public async Task InitializeAsync()
    {
        _contexts = ConversationsDatabase.CreateSqliteFactory(_directory.DatabasePath, _failingCommit, _commands);
        await ConversationsDatabase.InitializeAsync(_contexts, TimeProvider.System, Token);
        _store = new ConversationStore(_contexts, TimeProvider.System, NullLogger<ConversationStore>.Instance);
        _messages = new MessageTreeStore(_contexts, TimeProvider.System);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_fresh_directory_gets_the_database_with_every_migration_in_wal_mode_and_the_built_in_prompts()
    {
        Assert.True(File.Exists(_directory.DatabasePath));
        await using var db = await _contexts.CreateDbContextAsync();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changed since the last SQLite migration: add one with dotnet ef.");
        Assert.Equal("wal", await ScalarAsync(db, "PRAGMA journal_mode;"));
        Assert.Equal(
            [BuiltInPrompts.AssistantId, BuiltInPrompts.OpeaChatQnAId],
            await db.Prompts.Where(p => p.BuiltIn).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());

        // Starting again on the same file changes nothing.
        await ConversationsDatabase.InitializeAsync(_contexts, TimeProvider.System, Token);
        Assert.Equal(2, await db.Prompts.CountAsync());
    }

    [Fact]
    public async Task A_rival_gateway_seeding_between_our_read_and_our_write_does_not_fail_the_start()
    {
        await using (var db = await _contexts.CreateDbContextAsync())
        {
            await db.Prompts.Where(p => p.BuiltIn).ExecuteDeleteAsync();
        }

        // Just before our save, a rival (another connection) inserts the same rows: ours then breaks the unique key.
        var rival = ConversationsDatabase.CreateSqliteFactory(_directory.DatabasePath);
        var racing = ConversationsDatabase.CreateSqliteFactory(_directory.DatabasePath, new RivalSeedsFirst(rival));

        await ConversationsDatabase.InitializeAsync(racing, TimeProvider.System, Token);

        await using var check = await _contexts.CreateDbContextAsync();
        Assert.Equal([BuiltInPrompts.AssistantId, BuiltInPrompts.OpeaChatQnAId],
            await check.Prompts.Where(p => p.BuiltIn).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());
    }

    [Fact]
    public async Task Messages_follow_the_active_leaf_and_the_branch_reads_root_first()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings { SystemPrompt = "Be brief." }, Token);
        var (u1, a1, u2, a2) = await TwoTurnsAsync(conversation.Id);

        var branch = await _messages.GetActiveBranchAsync(conversation.Id, Token);

        Assert.Equal([u1.Id, a1.Id, u2.Id, a2.Id], branch.Select(m => m.Id));
        Assert.Equal(["user", "assistant", "user", "assistant"], branch.Select(m => m.Role));
        Assert.Equal([null, u1.Id, a1.Id, u2.Id], branch.Select(m => m.ParentId));
        Assert.Equal(a2.Id, (await _store.GetAsync(conversation.Id, Token))!.ActiveLeafId);
        Assert.Equal("stories260K", branch[3].Model);
        Assert.Equal(12, branch[3].CompletionTokens);
        Assert.Equal(99.5, branch[3].TokensPerSecond);
        Assert.Equal("complete", branch[3].Status);
    }

    [Fact]
    public async Task The_first_user_message_names_an_untitled_conversation_and_a_given_title_stays()
    {
        var untitled = await _store.CreateAsync(new ConversationSettings(), Token);
        await _messages.AddUserMessageAsync(untitled.Id,
            "Tell me about\nthe water cycle in simple words, with examples from everyday life please", null, Token);
        await _messages.AddUserMessageAsync(untitled.Id, "And clouds?", null, Token);
        var titled = await _store.CreateAsync(new ConversationSettings { Title = "Mine" }, Token);
        await _messages.AddUserMessageAsync(titled.Id, "Hello there", null, Token);

        Assert.Equal("Tell me about the water cycle in simple words, with…", (await _store.GetAsync(untitled.Id, Token))!.Title);
        Assert.Equal("Mine", (await _store.GetAsync(titled.Id, Token))!.Title);
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
    public async Task Editing_a_user_message_starts_a_new_branch_and_keeps_the_old_one()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, u2, a2) = await TwoTurnsAsync(conversation.Id);

        var edited = await _messages.EditUserMessageAsync(conversation.Id, u2.Id, "What about snow?", Token);
        var reply = await _messages.AddAssistantMessageAsync(conversation.Id, edited.Id, "Snow is frozen.", "complete", "m", null, null, null, Token);

        Assert.Equal(a1.Id, edited.ParentId);
        Assert.Equal([u1.Id, a1.Id, edited.Id, reply.Id], (await _messages.GetActiveBranchAsync(conversation.Id, Token)).Select(m => m.Id));
        var tree = await _messages.GetTreeAsync(conversation.Id, Token);
        Assert.Equal(6, tree.Messages.Count);
        Assert.Contains(tree.Messages, m => m.Id == u2.Id && m.Content == u2.Content);
        Assert.Contains(tree.Messages, m => m.Id == a2.Id);

        var withSiblings = await _messages.GetActiveBranchWithSiblingsAsync(conversation.Id, Token);
        Assert.Equal((2, 1), (withSiblings[2].SiblingCount, withSiblings[2].SiblingIndex));
        Assert.Equal([u2.Id, edited.Id], withSiblings[2].SiblingIds);
        Assert.Equal((1, 0), (withSiblings[1].SiblingCount, withSiblings[1].SiblingIndex));

        // Switching back to the first version brings back its reply too.
        var back = await _messages.ActivateAsync(conversation.Id, u2.Id, Token);
        Assert.Equal([u1.Id, a1.Id, u2.Id, a2.Id], back.Select(m => m.Id));
        Assert.Equal(a2.Id, (await _store.GetAsync(conversation.Id, Token))!.ActiveLeafId);
    }

    [Fact]
    public async Task A_user_message_with_a_parent_branches_from_there_and_the_first_message_can_be_edited()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, _, _) = await TwoTurnsAsync(conversation.Id);

        var branched = await _messages.AddUserMessageAsync(conversation.Id, "Another question", a1.Id, Token);
        Assert.Equal([u1.Id, a1.Id, branched.Id], (await _messages.GetActiveBranchAsync(conversation.Id, Token)).Select(m => m.Id));

        var newRoot = await _messages.EditUserMessageAsync(conversation.Id, u1.Id, "A different start", Token);
        Assert.Null(newRoot.ParentId);
        Assert.Equal([newRoot.Id], (await _messages.GetActiveBranchAsync(conversation.Id, Token)).Select(m => m.Id));
        Assert.Equal(2, (await _messages.GetActiveBranchWithSiblingsAsync(conversation.Id, Token))[0].SiblingCount);
    }

    [Fact]
    public async Task Regenerating_gives_the_branch_up_to_the_user_message_and_the_new_reply_becomes_a_sibling()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, u2, a2) = await TwoTurnsAsync(conversation.Id);

        var context = await _messages.GetRegenerationContextAsync(conversation.Id, a2.Id, Token);

        Assert.Equal(a2.Id, context.Replaced.Id);
        Assert.Equal(u2.Id, context.UserMessage.Id);
        Assert.Equal([u1.Id, a1.Id, u2.Id], context.Branch.Select(m => m.Id));
        Assert.Equal(a2.Id, (await _store.GetAsync(conversation.Id, Token))!.ActiveLeafId);

        var again = await _messages.AddAssistantMessageAsync(conversation.Id, context.UserMessage.Id, "Another answer.", "stopped", "m", 5, 3, 10, Token);
        var branch = await _messages.GetActiveBranchWithSiblingsAsync(conversation.Id, Token);
        Assert.Equal([u1.Id, a1.Id, u2.Id, again.Id], branch.Select(m => m.Id));
        Assert.Equal([a2.Id, again.Id], branch[3].SiblingIds);
        Assert.Equal("stopped", branch[3].Status);
        Assert.Equal(5, (await _messages.GetTreeAsync(conversation.Id, Token)).Messages.Count);
    }

    [Fact]
    public async Task Regenerate_and_edit_refuse_the_wrong_role_and_unknown_ids()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, _, _) = await TwoTurnsAsync(conversation.Id);

        var wrongRole = await Assert.ThrowsAsync<ConversationStoreException>(() => _messages.GetRegenerationContextAsync(conversation.Id, u1.Id, Token));
        Assert.Equal(ConversationStoreError.Invalid, wrongRole.Error);
        var editReply = await Assert.ThrowsAsync<ConversationStoreException>(() => _messages.EditUserMessageAsync(conversation.Id, a1.Id, "x", Token));
        Assert.Equal(ConversationStoreError.Invalid, editReply.Error);
        var unknown = await Assert.ThrowsAsync<ConversationStoreException>(() => _messages.GetRegenerationContextAsync(conversation.Id, Guid.NewGuid(), Token));
        Assert.Equal(ConversationStoreError.MessageNotFound, unknown.Error);
        var noConversation = await Assert.ThrowsAsync<ConversationStoreException>(() => _messages.AddUserMessageAsync(Guid.NewGuid(), "x", null, Token));
        Assert.Equal(ConversationStoreError.ConversationNotFound, noConversation.Error);
        var otherConversation = await _store.CreateAsync(new ConversationSettings(), Token);
        var foreignParent = await Assert.ThrowsAsync<ConversationStoreException>(
            () => _messages.AddAssistantMessageAsync(otherConversation.Id, a1.Id, "x", "complete", null, null, null, null, Token));
        Assert.Equal(ConversationStoreError.MessageNotFound, foreignParent.Error);
        var badStatus = await Assert.ThrowsAsync<ConversationStoreException>(
            () => _messages.AddAssistantMessageAsync(conversation.Id, u1.Id, "x", "done", null, null, null, null, Token));
        Assert.Equal("status", badStatus.Field);
    }

    [Fact]
    public async Task A_save_that_fails_at_commit_leaves_neither_the_message_nor_the_new_active_leaf()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings(), Token);
        var user = await _messages.AddUserMessageAsync(conversation.Id, "Hello", null, Token);
        var before = (await _store.GetAsync(conversation.Id, Token))!;

        _commands.Clear();
        _failingCommit.Armed = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _messages.AddAssistantMessageAsync(conversation.Id, user.Id, "Half a reply", "complete", "m", 1, 2, 3, Token));
        _failingCommit.Armed = false;

        // Both statements ran inside the transaction before it failed; neither survived.
        Assert.Contains(_commands.Texts, text => Regex.IsMatch(text, "INSERT INTO \"?messages\"?"));
        Assert.Contains(_commands.Texts, text => Regex.IsMatch(text, "UPDATE \"?conversations\"?"));
        await using var db = await _contexts.CreateDbContextAsync();
        Assert.Equal(1, await db.Messages.CountAsync(m => m.ConversationId == conversation.Id));
        var after = (await _store.GetAsync(conversation.Id, Token))!;
        Assert.Equal(before.ActiveLeafId, after.ActiveLeafId);
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
    }

    [Fact]
    public async Task Deleting_a_conversation_deletes_its_messages()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings(), Token);
        await TwoTurnsAsync(conversation.Id);
        var other = await _store.CreateAsync(new ConversationSettings(), Token);
        await TwoTurnsAsync(other.Id);

        Assert.True(await _store.DeleteAsync(conversation.Id, Token));
        Assert.False(await _store.DeleteAsync(conversation.Id, Token));

        Assert.Null(await _store.GetAsync(conversation.Id, Token));
        await using var db = await _contexts.CreateDbContextAsync();
        Assert.Equal(0, await db.Messages.CountAsync(m => m.ConversationId == conversation.Id));
        Assert.Equal(4, await db.Messages.CountAsync(m => m.ConversationId == other.Id));
    }

    [Fact]
    public async Task Listing_is_newest_first_and_search_ignores_case_in_titles_and_messages()
    {
        var old = await _store.CreateAsync(new ConversationSettings { Title = "Gardening notes" }, Token);
        var middle = await _store.CreateAsync(new ConversationSettings { Title = "Trip" }, Token);
        await _messages.AddUserMessageAsync(middle.Id, "Viel ÄRGER mit dem Zug", null, Token);
        var newest = await _store.CreateAsync(new ConversationSettings(), Token);

        var all = await _store.ListAsync(null, 50, 0, Token);
        Assert.Equal([newest.Id, middle.Id, old.Id], all.Data.Select(c => c.Id));
        Assert.Equal(3, all.Total);

        Assert.Equal([old.Id], (await _store.ListAsync("GARDEN", 50, 0, Token)).Data.Select(c => c.Id));
        Assert.Equal([middle.Id], (await _store.ListAsync("ärger", 50, 0, Token)).Data.Select(c => c.Id));
        Assert.Empty((await _store.ListAsync("nothing like this", 50, 0, Token)).Data);

        var second = await _store.ListAsync(null, 1, 1, Token);
        Assert.Equal([middle.Id], second.Data.Select(c => c.Id));
        Assert.Equal(3, second.Total);
    }

    [Fact]
    public async Task Settings_round_trip_and_updates_change_only_what_is_given()
    {
        var conversation = await _store.CreateAsync(new ConversationSettings
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

        var updated = await _store.UpdateAsync(conversation.Id, new ConversationChanges { Title = new("New"), Seed = new(null) }, Token);

        Assert.Equal("New", updated.Title);
        Assert.Null(updated.Seed);
        Assert.Equal(("S", "m", BuiltInPrompts.OpeaChatQnAId, 0.5f, 0.9f, 64), (updated.SystemPrompt, updated.Model, updated.PromptId, updated.Temperature, updated.TopP, updated.MaxTokens));
        Assert.Equal("docs", (await _store.GetAsync(conversation.Id, Token))!.Variables["context"]);
        var unknownPrompt = await Assert.ThrowsAsync<ConversationStoreException>(
            () => _store.UpdateAsync(conversation.Id, new ConversationChanges { PromptId = new("no-such-prompt") }, Token));
        Assert.Equal("prompt_id", unknownPrompt.Field);
    }

    private async Task<(MessageRecord U1, MessageRecord A1, MessageRecord U2, MessageRecord A2)> TwoTurnsAsync(Guid conversationId)
    {
        var u1 = await _messages.AddUserMessageAsync(conversationId, "What is rain?", null, Token);
        var a1 = await _messages.AddAssistantMessageAsync(conversationId, u1.Id, "Water falling from clouds.", "complete", "stories260K", 20, 5, 80, Token);
        var u2 = await _messages.AddUserMessageAsync(conversationId, "And hail?", null, Token);
        var a2 = await _messages.AddAssistantMessageAsync(conversationId, u2.Id, "Frozen rain.", "complete", "stories260K", 30, 12, 99.5, Token);
        return (u1, a1, u2, a2);
    }

    private static async Task<string?> ScalarAsync(DbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (await command.ExecuteScalarAsync())?.ToString();
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    /// <summary>Fails the commit of every transaction while armed: the statements have run, the commit has not.</summary>
    /// <summary>On the first save, lets another gateway's seeding run to completion first.</summary>
    private sealed class RivalSeedsFirst(IDbContextFactory<ConversationsDbContext> rival) : SaveChangesInterceptor
    {
        private int _saves;

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _saves) == 1)
            {
                await using var other = await rival.CreateDbContextAsync(cancellationToken);
                await BuiltInPrompts.SeedAsync(other, TimeProvider.System, cancellationToken);
            }

            return result;
        }
    }

    private sealed class FailingCommit : DbTransactionInterceptor
    {
        public volatile bool Armed;

        public override InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result) =>
            Armed ? throw new InvalidOperationException("Simulated failure before commit.") : result;

        public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result,
            CancellationToken cancellationToken = default) =>
            Armed ? throw new InvalidOperationException("Simulated failure before commit.") : ValueTask.FromResult(result);
    }

    private sealed class CommandLog : DbCommandInterceptor
    {
        private readonly List<string> _texts = [];

        public IReadOnlyList<string> Texts
        {
            get
            {
                lock (_texts)
                {
                    return [.. _texts];
                }
            }
        }

        public void Clear()
        {
            lock (_texts)
            {
                _texts.Clear();
            }
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        private void Record(DbCommand command)
        {
            lock (_texts)
            {
                _texts.Add(command.CommandText);
            }
        }
    }
}
