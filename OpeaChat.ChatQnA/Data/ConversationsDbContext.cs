using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using OpeaChat.ChatQnA.Accounts;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// The one EF Core model of everything a user keeps (conversations, messages, prompts). Each database provider has a
/// small subclass (<see cref="SqliteConversationsDbContext"/>, <see cref="PostgresConversationsDbContext"/>) so that
/// each keeps its own migrations; code that only reads and writes uses this base type.
/// Accounts (Identity's users, logins) and personal keys live here too. With accounts on, every query of
/// conversations, messages and prompts is filtered to the request's owner (<see cref="OwnerScope"/>), and new rows get
/// that owner: a store cannot forget to check, and someone else's id simply is not found.
/// </summary>
public abstract class ConversationsDbContext(DbContextOptions options) : IdentityUserContext<Account>(options)
{
    public DbSet<PersonalApiKey> PersonalApiKeys => Set<PersonalApiKey>();

    /// <summary>True in local mode and for start-up work: no owner filter. Read per query (EF parameterises it).</summary>
    private bool OwnersOff => OwnerScope.Current is null;

    private string? CurrentOwner => OwnerScope.Current?.OwnerId;

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        StampOwners();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        StampOwners();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>New conversations and prompts belong to the caller (null in local mode: the first admin gets them).</summary>
    private void StampOwners()
    {
        if (OwnerScope.Current is not { } caller)
        {
            return;
        }

        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State != EntityState.Added)
            {
                continue;
            }

            switch (entry.Entity)
            {
                case Conversation { OwnerId: null } conversation:
                    conversation.OwnerId = caller.OwnerId;
                    break;
                case Prompt { OwnerId: null, BuiltIn: false } prompt:
                    prompt.OwnerId = caller.OwnerId;
                    break;
            }
        }
    }

    public DbSet<Conversation> Conversations => Set<Conversation>();

    public DbSet<Message> Messages => Set<Message>();

    public DbSet<Prompt> Prompts => Set<Prompt>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Account>(account =>
        {
            account.ToTable("accounts");
            account.Property(a => a.Role).HasMaxLength(16);
            account.Property(a => a.DisplayName).HasMaxLength(ConversationLimits.NameMaxLength);
        });
        modelBuilder.Entity<Microsoft.AspNetCore.Identity.IdentityUserClaim<string>>().ToTable("account_claims");
        modelBuilder.Entity<Microsoft.AspNetCore.Identity.IdentityUserLogin<string>>().ToTable("account_logins");
        modelBuilder.Entity<Microsoft.AspNetCore.Identity.IdentityUserToken<string>>().ToTable("account_tokens");
        modelBuilder.Entity<PersonalApiKey>(key =>
        {
            key.ToTable("api_keys");
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).ValueGeneratedNever();
            key.Property(k => k.AccountId).HasMaxLength(ConversationLimits.OwnerIdMaxLength);
            key.Property(k => k.Name).HasMaxLength(ConversationLimits.NameMaxLength);
            key.Property(k => k.Prefix).HasMaxLength(16);
            key.Property(k => k.Hash).HasMaxLength(64);
            key.HasIndex(k => k.Hash).IsUnique();
            key.HasIndex(k => k.AccountId);
            key.HasOne<Account>().WithMany().HasForeignKey(k => k.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Conversation>(conversation =>
        {
            conversation.ToTable("conversations");
            conversation.HasKey(c => c.Id);
            conversation.Property(c => c.OwnerId).HasMaxLength(ConversationLimits.OwnerIdMaxLength);
            conversation.HasIndex(c => new { c.OwnerId, c.UpdatedAt });
            conversation.HasQueryFilter(c => OwnersOff || c.OwnerId == CurrentOwner);
            conversation.Property(c => c.Id).ValueGeneratedNever();
            conversation.Property(c => c.Title).HasMaxLength(ConversationLimits.TitleMaxLength);
            conversation.Property(c => c.Model).HasMaxLength(ConversationLimits.NameMaxLength);
            conversation.Property(c => c.PromptId).HasMaxLength(ConversationLimits.PromptIdMaxLength);
            conversation.Property(c => c.IndexName).HasMaxLength(ConversationLimits.IndexNameMaxLength);
            conversation.Property(c => c.Variables)
                .HasConversion(
                    variables => JsonSerializer.Serialize(variables, DataJsonContext.Default.DictionaryStringString),
                    json => JsonSerializer.Deserialize(json, DataJsonContext.Default.DictionaryStringString) ?? new Dictionary<string, string>(),
                    new ValueComparer<Dictionary<string, string>>(
                        (left, right) => left!.Count == right!.Count && !left.Except(right).Any(),
                        variables => variables.Aggregate(0, (hash, pair) => HashCode.Combine(hash, pair.Key, pair.Value)),
                        variables => new Dictionary<string, string>(variables)))
                .IsRequired();
            conversation.HasIndex(c => c.UpdatedAt);
            conversation.HasMany(c => c.Messages)
                .WithOne(m => m.Conversation)
                .HasForeignKey(m => m.ConversationId)
                .OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Message>(message =>
        {
            message.ToTable("messages");
            message.HasKey(m => m.Id);
            message.Property(m => m.Id).ValueGeneratedNever();
            message.Property(m => m.Role).HasMaxLength(16);
            message.Property(m => m.Status).HasMaxLength(16);
            message.Property(m => m.Model).HasMaxLength(ConversationLimits.NameMaxLength);
            message.Property(m => m.ToolCallId).HasMaxLength(ConversationLimits.ToolCallIdMaxLength);
            // The tree's links are checked but do not cascade: a cascade runs once per level, and SQLite stops at 1,000
            // levels ("too many levels of trigger recursion"), PostgreSQL at its stack depth. A conversation's messages
            // go in one statement through the conversation's own cascade; NO ACTION is checked at the statement's end,
            // when no child is left, so chains of any length delete.
            message.HasOne(m => m.Parent)
                .WithMany()
                .HasForeignKey(m => m.ParentId)
                .OnDelete(DeleteBehavior.NoAction);
            message.HasIndex(m => new { m.ConversationId, m.ParentId });
            // Through its conversation: a message id of someone else's chat is not found either.
            message.HasQueryFilter(m => OwnersOff || m.Conversation!.OwnerId == CurrentOwner);
        });

        modelBuilder.Entity<Prompt>(prompt =>
        {
            prompt.ToTable("prompts");
            prompt.HasKey(p => p.Id);
            prompt.Property(p => p.Id).HasMaxLength(ConversationLimits.PromptIdMaxLength);
            prompt.Property(p => p.Name).HasMaxLength(ConversationLimits.NameMaxLength);
            prompt.Property(p => p.Kind).HasMaxLength(16);
            prompt.Property(p => p.OwnerId).HasMaxLength(ConversationLimits.OwnerIdMaxLength);
            prompt.HasIndex(p => p.OwnerId);
            // Built-in and shared prompts are everyone's to read; writes are checked in PromptStore.
            prompt.HasQueryFilter(p => OwnersOff || p.BuiltIn || p.Shared || p.OwnerId == CurrentOwner);
        });

        // snake_case columns, as PostgreSQL people expect and as the JSON names are.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
            }
        }
    }
}

/// <summary>Lengths the database and the API both enforce.</summary>
public static class ConversationLimits
{
    public const int TitleMaxLength = 200;
    public const int NameMaxLength = 200;
    public const int PromptIdMaxLength = 64;
    public const int IndexNameMaxLength = Retrieval.IndexNames.MaxLength;
    public const int ToolCallIdMaxLength = 256;

    /// <summary>Identity's ids are GUID strings (36); services use a short word.</summary>
    public const int OwnerIdMaxLength = 64;
}

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DataJsonContext : JsonSerializerContext;
