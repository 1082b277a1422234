using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>
/// Both conversation stores on a real SQLite file, migrated as the gateway migrates it; its commits can be made to
/// fail and the statements it runs are logged. A subclass that overrides <see cref="CreateContextsAsync"/> runs the
/// same tests on another database (PostgreSQL: <see cref="PostgresStore"/>).
/// </summary>
public abstract class StoreTestBase : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected static CancellationToken Token => CancellationToken.None;

    protected string DatabasePath => _directory.DatabasePath;

    protected IDbContextFactory<ConversationsDbContext> Contexts { get; private set; } = null!;

    protected ConversationStore Store { get; private set; } = null!;

    protected MessageTreeStore Messages { get; private set; } = null!;

    private protected FailingCommit FailingCommit { get; } = new();

    private protected CommandLog Commands { get; } = new();

    public async Task InitializeAsync()
    {
        Contexts = await CreateContextsAsync([FailingCommit, Commands]);
        await ConversationsDatabase.InitializeAsync(Contexts, TimeProvider.System, Token);
        Store = new ConversationStore(Contexts, TimeProvider.System, NullLogger<ConversationStore>.Instance);
        Messages = new MessageTreeStore(Contexts, TimeProvider.System);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The database under test, with these interceptors; SQLite in <see cref="DatabasePath"/> unless overridden.</summary>
    protected virtual Task<IDbContextFactory<ConversationsDbContext>> CreateContextsAsync(IInterceptor[] interceptors) =>
        Task.FromResult(ConversationsDatabase.CreateSqliteFactory(DatabasePath, interceptors));

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    protected async Task<(MessageRecord U1, MessageRecord A1, MessageRecord U2, MessageRecord A2)> TwoTurnsAsync(Guid conversationId)
    {
        var u1 = await Messages.AddUserMessageAsync(conversationId, "What is rain?", null, Token);
        var a1 = await Messages.AddAssistantMessageAsync(conversationId, u1.Id, "Water falling from clouds.", "complete", "stories260K", 20, 5, 80, Token);
        var u2 = await Messages.AddUserMessageAsync(conversationId, "And hail?", null, Token);
        var a2 = await Messages.AddAssistantMessageAsync(conversationId, u2.Id, "Frozen rain.", "complete", "stories260K", 30, 12, 99.5, Token);
        return (u1, a1, u2, a2);
    }
}

/// <summary>The same store tests on a fresh database of the run's PostgreSQL server.</summary>
internal static class PostgresStore
{
    public static async Task<IDbContextFactory<ConversationsDbContext>> CreateAsync(Infrastructure.PostgresServer server, IInterceptor[] interceptors) =>
        ConversationsDatabase.CreatePostgresFactory(await server.CreateDatabaseAsync("store"), interceptors);
}
