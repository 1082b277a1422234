using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>The message tree's semantics (branches, edits, regeneration, atomic saves) on a real SQLite file.</summary>
public class MessageTreeStoreTests : StoreTestBase
{
    [Fact]
    public async Task Messages_follow_the_active_leaf_and_the_branch_reads_root_first()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings { SystemPrompt = "Be brief." }, Token);
        var (u1, a1, u2, a2) = await TwoTurnsAsync(conversation.Id);

        var branch = await Messages.GetActiveBranchAsync(conversation.Id, Token);

        Assert.Equal([u1.Id, a1.Id, u2.Id, a2.Id], branch.Select(m => m.Id));
        Assert.Equal(["user", "assistant", "user", "assistant"], branch.Select(m => m.Role));
        Assert.Equal([null, u1.Id, a1.Id, u2.Id], branch.Select(m => m.ParentId));
        Assert.Equal(a2.Id, (await Store.GetAsync(conversation.Id, Token))!.ActiveLeafId);
        Assert.Equal("stories260K", branch[3].Model);
        Assert.Equal(12, branch[3].CompletionTokens);
        Assert.Equal(99.5, branch[3].TokensPerSecond);
        Assert.Equal("complete", branch[3].Status);
    }
    [Fact]
    public async Task Editing_a_user_message_starts_a_new_branch_and_keeps_the_old_one()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, u2, a2) = await TwoTurnsAsync(conversation.Id);

        var edited = await Messages.EditUserMessageAsync(conversation.Id, u2.Id, "What about snow?", Token);
        var reply = await Messages.AddAssistantMessageAsync(conversation.Id, edited.Id, "Snow is frozen.", "complete", "m", null, null, null, Token);

        Assert.Equal(a1.Id, edited.ParentId);
        Assert.Equal([u1.Id, a1.Id, edited.Id, reply.Id], (await Messages.GetActiveBranchAsync(conversation.Id, Token)).Select(m => m.Id));
        var tree = await Messages.GetTreeAsync(conversation.Id, Token);
        Assert.Equal(6, tree.Messages.Count);
        Assert.Contains(tree.Messages, m => m.Id == u2.Id && m.Content == u2.Content);
        Assert.Contains(tree.Messages, m => m.Id == a2.Id);

        var withSiblings = await Messages.GetActiveBranchWithSiblingsAsync(conversation.Id, Token);
        Assert.Equal((2, 1), (withSiblings[2].SiblingCount, withSiblings[2].SiblingIndex));
        Assert.Equal([u2.Id, edited.Id], withSiblings[2].SiblingIds);
        Assert.Equal((1, 0), (withSiblings[1].SiblingCount, withSiblings[1].SiblingIndex));

        // Switching back to the first version brings back its reply too.
        var back = await Messages.ActivateAsync(conversation.Id, u2.Id, Token);
        Assert.Equal([u1.Id, a1.Id, u2.Id, a2.Id], back.Select(m => m.Id));
        Assert.Equal(a2.Id, (await Store.GetAsync(conversation.Id, Token))!.ActiveLeafId);
    }

    [Fact]
    public async Task A_user_message_with_a_parent_branches_from_there_and_the_first_message_can_be_edited()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, _, _) = await TwoTurnsAsync(conversation.Id);

        var branched = await Messages.AddUserMessageAsync(conversation.Id, "Another question", a1.Id, Token);
        Assert.Equal([u1.Id, a1.Id, branched.Id], (await Messages.GetActiveBranchAsync(conversation.Id, Token)).Select(m => m.Id));

        var newRoot = await Messages.EditUserMessageAsync(conversation.Id, u1.Id, "A different start", Token);
        Assert.Null(newRoot.ParentId);
        Assert.Equal([newRoot.Id], (await Messages.GetActiveBranchAsync(conversation.Id, Token)).Select(m => m.Id));
        Assert.Equal(2, (await Messages.GetActiveBranchWithSiblingsAsync(conversation.Id, Token))[0].SiblingCount);
    }

    [Fact]
    public async Task Regenerating_gives_the_branch_up_to_the_user_message_and_the_new_reply_becomes_a_sibling()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, u2, a2) = await TwoTurnsAsync(conversation.Id);

        var context = await Messages.GetRegenerationContextAsync(conversation.Id, a2.Id, Token);

        Assert.Equal(a2.Id, context.Replaced.Id);
        Assert.Equal(u2.Id, context.UserMessage.Id);
        Assert.Equal([u1.Id, a1.Id, u2.Id], context.Branch.Select(m => m.Id));
        Assert.Equal(a2.Id, (await Store.GetAsync(conversation.Id, Token))!.ActiveLeafId);

        var again = await Messages.AddAssistantMessageAsync(conversation.Id, context.UserMessage.Id, "Another answer.", "stopped", "m", 5, 3, 10, Token);
        var branch = await Messages.GetActiveBranchWithSiblingsAsync(conversation.Id, Token);
        Assert.Equal([u1.Id, a1.Id, u2.Id, again.Id], branch.Select(m => m.Id));
        Assert.Equal([a2.Id, again.Id], branch[3].SiblingIds);
        Assert.Equal("stopped", branch[3].Status);
        Assert.Equal(5, (await Messages.GetTreeAsync(conversation.Id, Token)).Messages.Count);
    }

    [Fact]
    public async Task Regenerate_and_edit_refuse_the_wrong_role_and_unknown_ids()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings(), Token);
        var (u1, a1, _, _) = await TwoTurnsAsync(conversation.Id);

        var wrongRole = await Assert.ThrowsAsync<ConversationStoreException>(() => Messages.GetRegenerationContextAsync(conversation.Id, u1.Id, Token));
        Assert.Equal(ConversationStoreError.Invalid, wrongRole.Error);
        var editReply = await Assert.ThrowsAsync<ConversationStoreException>(() => Messages.EditUserMessageAsync(conversation.Id, a1.Id, "x", Token));
        Assert.Equal(ConversationStoreError.Invalid, editReply.Error);
        var unknown = await Assert.ThrowsAsync<ConversationStoreException>(() => Messages.GetRegenerationContextAsync(conversation.Id, Guid.NewGuid(), Token));
        Assert.Equal(ConversationStoreError.MessageNotFound, unknown.Error);
        var noConversation = await Assert.ThrowsAsync<ConversationStoreException>(() => Messages.AddUserMessageAsync(Guid.NewGuid(), "x", null, Token));
        Assert.Equal(ConversationStoreError.ConversationNotFound, noConversation.Error);
        var otherConversation = await Store.CreateAsync(new ConversationSettings(), Token);
        var foreignParent = await Assert.ThrowsAsync<ConversationStoreException>(
            () => Messages.AddAssistantMessageAsync(otherConversation.Id, a1.Id, "x", "complete", null, null, null, null, Token));
        Assert.Equal(ConversationStoreError.MessageNotFound, foreignParent.Error);
        var badStatus = await Assert.ThrowsAsync<ConversationStoreException>(
            () => Messages.AddAssistantMessageAsync(conversation.Id, u1.Id, "x", "done", null, null, null, null, Token));
        Assert.Equal("status", badStatus.Field);
    }

    [Fact]
    public async Task A_save_that_fails_at_commit_leaves_neither_the_message_nor_the_new_active_leaf()
    {
        var conversation = await Store.CreateAsync(new ConversationSettings(), Token);
        var user = await Messages.AddUserMessageAsync(conversation.Id, "Hello", null, Token);
        var before = (await Store.GetAsync(conversation.Id, Token))!;

        Commands.Clear();
        FailingCommit.Armed = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Messages.AddAssistantMessageAsync(conversation.Id, user.Id, "Half a reply", "complete", "m", 1, 2, 3, Token));
        FailingCommit.Armed = false;

        // Both statements ran inside the transaction before it failed; neither survived.
        Assert.Contains(Commands.Texts, text => Regex.IsMatch(text, "INSERT INTO \"?messages\"?"));
        Assert.Contains(Commands.Texts, text => Regex.IsMatch(text, "UPDATE \"?conversations\"?"));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(1, await db.Messages.CountAsync(m => m.ConversationId == conversation.Id));
        var after = (await Store.GetAsync(conversation.Id, Token))!;
        Assert.Equal(before.ActiveLeafId, after.ActiveLeafId);
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
    }
}

/// <summary>The same tests on PostgreSQL 15 (a throwaway cluster, <see cref="Infrastructure.PostgresServer"/>).</summary>
[Collection(Infrastructure.PostgresCollection.Name)]
public sealed class PostgresMessageTreeStoreTests(Infrastructure.PostgresServer server) : MessageTreeStoreTests
{
    protected override Task<IDbContextFactory<OpeaChat.ChatQnA.Data.ConversationsDbContext>> CreateContextsAsync(
        Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor[] interceptors) => PostgresStore.CreateAsync(server, interceptors);
}
