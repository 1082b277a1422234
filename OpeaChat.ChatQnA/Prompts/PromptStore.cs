using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Accounts;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Prompts;

namespace OpeaChat.ChatQnA.Prompts;

/// <summary>
/// System prompts and prompt templates. Built-in prompts cannot be changed or deleted. Refusals throw
/// <see cref="ConversationStoreException"/> (PromptNotFound, ReadOnly, Conflict, Invalid).
/// </summary>
public sealed partial class PromptStore(IDbContextFactory<ConversationsDbContext> contexts, TimeProvider time)
{
    /// <summary>Built-in prompts first, then by name; <paramref name="kind"/> filters when given.</summary>
    public async Task<IReadOnlyList<PromptRecord>> ListAsync(string? kind, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Prompts.AsNoTracking();
        if (!string.IsNullOrEmpty(kind))
        {
            query = query.Where(p => p.Kind == kind);
        }

        var prompts = await query.ToListAsync(cancellationToken);
        return prompts
            .OrderByDescending(p => p.BuiltIn).ThenBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Select(ToRecord).ToList();
    }

    public async Task<PromptRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        return prompt is null ? null : ToRecord(prompt);
    }

    /// <summary>Creates a prompt; without an id, one is made from the name (<c>my-prompt</c>, <c>my-prompt-2</c>, …).</summary>
    public async Task<PromptRecord> CreateAsync(PromptDraft draft, CancellationToken cancellationToken)
    {
        var (name, kind, text) = Validate(draft);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        string id;
        if (!string.IsNullOrWhiteSpace(draft.Id))
        {
            id = draft.Id;
            if (!IdPattern().IsMatch(id))
            {
                throw Invalid("id", "id must be 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit.");
            }

            // Ids are one namespace for everyone: another person's id is taken too (only that it exists is told).
            if (await db.Prompts.IgnoreQueryFilters().AnyAsync(p => p.Id == id, cancellationToken))
            {
                throw new ConversationStoreException(ConversationStoreError.Conflict, $"A prompt with id '{id}' already exists.", "id");
            }
        }
        else
        {
            var stem = Slug(name);
            var taken = await db.Prompts.IgnoreQueryFilters().Where(p => p.Id.StartsWith(stem)).Select(p => p.Id).ToListAsync(cancellationToken);
            id = stem;
            for (var n = 2; taken.Contains(id); n++)
            {
                id = $"{stem}-{n}";
            }
        }

        var now = time.GetUtcNow();
        var prompt = new Prompt { Id = id, Name = name, Kind = kind, Text = text, BuiltIn = false, Shared = CheckShared(draft.Shared) ?? false, CreatedAt = now, UpdatedAt = now };
        db.Prompts.Add(prompt);
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(prompt);
    }

    /// <summary>Replaces a prompt's name, kind and text.</summary>
    public async Task<PromptRecord> UpdateAsync(string id, PromptDraft draft, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prompt = await FindWritableAsync(db, id, "changed", cancellationToken);
        (prompt.Name, prompt.Kind, prompt.Text) = Validate(draft);
        prompt.Shared = CheckShared(draft.Shared) ?? prompt.Shared;
        prompt.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return ToRecord(prompt);
    }

    /// <summary>Deletes a prompt; conversations that used it keep their settings but no longer name it.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prompt = await FindWritableAsync(db, id, "deleted", cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Everyone's conversations: a shared prompt may be named by other people's chats.
        await db.Conversations.IgnoreQueryFilters().Where(c => c.PromptId == id).ExecuteUpdateAsync(set => set.SetProperty(c => c.PromptId, (string?)null), cancellationToken);
        db.Prompts.Remove(prompt);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<Prompt> FindWritableAsync(ConversationsDbContext db, string id, string verb, CancellationToken cancellationToken)
    {
        var prompt = await db.Prompts.FirstOrDefaultAsync(p => p.Id == id, cancellationToken)
            ?? throw new ConversationStoreException(ConversationStoreError.PromptNotFound, $"Prompt '{id}' not found.");
        if (prompt.BuiltIn)
        {
            throw new ConversationStoreException(ConversationStoreError.ReadOnly,
                $"'{id}' is a built-in prompt and cannot be {verb}; create your own prompt (POST /v1/prompts) with the text you want.");
        }

        if (!IsWritable(prompt))
        {
            throw new ConversationStoreException(ConversationStoreError.ReadOnly,
                $"'{id}' is a shared prompt: only admins can change or delete it; create your own prompt (POST /v1/prompts) from its text.");
        }

        return prompt;
    }

    /// <summary>Local mode: every prompt not built in. With accounts: one's own, and shared prompts for admins.</summary>
    private static bool IsWritable(Prompt prompt) =>
        !prompt.BuiltIn && (OwnerScope.Current is not { } caller || prompt.OwnerId == caller.OwnerId || (prompt.Shared && caller.IsAdmin));

    /// <summary>Only admins share prompts (with accounts; in local mode there is nobody else to share with).</summary>
    private static bool? CheckShared(bool? shared)
    {
        if (shared == true && OwnerScope.Current is { IsAdmin: false })
        {
            throw Invalid("shared", "Only an admin can share a prompt with everyone.", "permission");
        }

        return shared;
    }

    private static (string Name, string Kind, string Text) Validate(PromptDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (string.IsNullOrWhiteSpace(draft.Name))
        {
            throw Invalid("name", "Field required: a name for the prompt.", draft.Name is null ? "missing" : "string_too_short");
        }

        if (draft.Name.Length > ConversationLimits.NameMaxLength)
        {
            throw Invalid("name", $"name must be at most {ConversationLimits.NameMaxLength} characters.", "string_too_long");
        }

        var kind = draft.Kind ?? PromptKinds.System;
        if (!PromptKinds.All.Contains(kind))
        {
            throw Invalid("kind", $"kind must be one of {string.Join(", ", PromptKinds.All)}.", "enum");
        }

        if (string.IsNullOrWhiteSpace(draft.Text))
        {
            throw Invalid("text", "Field required: the prompt's text.", draft.Text is null ? "missing" : "string_too_short");
        }

        // Both kinds are filled with the conversation's variables, so both must parse as templates.
        if (PromptTemplate.Check(draft.Text) is { } problem)
        {
            throw Invalid("text", problem, "value_error");
        }

        return (draft.Name.Trim(), kind, draft.Text);
    }

    private static string Slug(string name)
    {
        var slug = new StringBuilder();
        foreach (var character in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(character))
            {
                slug.Append(character);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }

            if (slug.Length >= 48)
            {
                break;
            }
        }

        var text = slug.ToString().Trim('-');
        return text.Length == 0 ? "prompt" : text;
    }

    private static ConversationStoreException Invalid(string field, string message, string type = "value_error") =>
        new(ConversationStoreError.Invalid, message, field, type);

    internal static PromptRecord ToRecord(Prompt prompt) => new()
    {
        Id = prompt.Id,
        Name = prompt.Name,
        Kind = prompt.Kind,
        Text = prompt.Text,
        BuiltIn = prompt.BuiltIn,
        Shared = prompt.Shared,
        ReadOnly = !IsWritable(prompt),
        Variables = PromptTemplate.GetVariables(prompt.Text),
        CreatedAt = prompt.CreatedAt,
        UpdatedAt = prompt.UpdatedAt,
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
