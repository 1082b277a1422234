using Microsoft.EntityFrameworkCore;
using OpeaChat.ChatQnA.Data;

namespace OpeaChat.ChatQnA.Prompts;

/// <summary>The prompts every installation has; seeded (and brought up to date) at start, read-only through the API.</summary>
public static class BuiltInPrompts
{
    public const string AssistantId = "assistant";
    public const string OpeaChatQnAId = "opea-chatqna";

    /// <summary>OPEA ChatQnA's RAG prompt: the retrieved documents go in <c>{context}</c>, the user's turn in <c>{question}</c>.</summary>
    public const string OpeaChatQnAText = "### Search results: {context} ### Question: {question} ### Answer:";

    public const string AssistantText =
        "You are a helpful, respectful and honest assistant. Answer as helpfully as you can, clearly and to the point. "
        + "If you do not know the answer or the question makes no sense, say so instead of making something up.";

    public static IReadOnlyList<(string Id, string Name, string Kind, string Text)> All { get; } =
    [
        (AssistantId, "Helpful assistant", PromptKinds.System, AssistantText),
        (OpeaChatQnAId, "OPEA ChatQnA (search results and question)", PromptKinds.Template, OpeaChatQnAText),
    ];

    public static bool IsBuiltIn(string id) => All.Any(prompt => prompt.Id == id);

    public static async Task SeedAsync(ConversationsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(time);
        var ids = All.Select(prompt => prompt.Id).ToList();
        var existing = await db.Prompts.Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var (id, name, kind, text) in All)
        {
            if (!existing.TryGetValue(id, out var prompt))
            {
                db.Prompts.Add(new Prompt { Id = id, Name = name, Kind = kind, Text = text, BuiltIn = true, CreatedAt = now, UpdatedAt = now });
            }
            else if (prompt.Name != name || prompt.Kind != kind || prompt.Text != text || !prompt.BuiltIn)
            {
                (prompt.Name, prompt.Kind, prompt.Text, prompt.BuiltIn, prompt.UpdatedAt) = (name, kind, text, true, now);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
