using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// The one EF Core model of everything a user keeps (conversations, messages, prompts). Each database provider has a
/// small subclass (<see cref="SqliteConversationsDbContext"/>, <see cref="PostgresConversationsDbContext"/>) so that
/// each keeps its own migrations; code that only reads and writes uses this base type.
/// </summary>
public abstract class ConversationsDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Conversation> Conversations => Set<Conversation>();

    public DbSet<Message> Messages => Set<Message>();

    public DbSet<Prompt> Prompts => Set<Prompt>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<Conversation>(conversation =>
        {
            conversation.ToTable("conversations");
            conversation.HasKey(c => c.Id);
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
        });

        modelBuilder.Entity<Prompt>(prompt =>
        {
            prompt.ToTable("prompts");
            prompt.HasKey(p => p.Id);
            prompt.Property(p => p.Id).HasMaxLength(ConversationLimits.PromptIdMaxLength);
            prompt.Property(p => p.Name).HasMaxLength(ConversationLimits.NameMaxLength);
            prompt.Property(p => p.Kind).HasMaxLength(16);
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
}

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DataJsonContext : JsonSerializerContext;
