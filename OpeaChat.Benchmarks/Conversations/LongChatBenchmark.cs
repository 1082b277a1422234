using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Benchmarks.Load;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Conversations;

/// <summary>Opens the store the benchmark measures; a new database for each run.</summary>
public interface ILongChatDatabases
{
    Task<Microsoft.EntityFrameworkCore.IDbContextFactory<ConversationsDbContext>> CreateAsync(int run, CancellationToken cancellationToken);
}

public sealed record LongChatWorkload(int Messages, int Runs, string Database, int ContextTokens);

/// <summary>One operation's times over the runs, in milliseconds.</summary>
public sealed record LongChatTiming(string Operation, string What, IReadOnlyList<double> Milliseconds)
{
    public double Median => Milliseconds.Order().ElementAt(Milliseconds.Count / 2);
}

public sealed record LongChatResult(
    LongChatWorkload Workload, MachineInfo Machine, IReadOnlyList<LongChatTiming> Timings, long JsonExportBytes, long MarkdownExportBytes, int TrimmedTurns);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(LongChatResult))]
public sealed partial class LongChatJsonContext : JsonSerializerContext;

/// <summary>
/// A chat of N messages in one chain (user and assistant in turn), run through the gateway's own conversation store
/// as its endpoints run it: import, JSON and Markdown export, reading the active branch, branching in the middle
/// and switching back, trimming the history to a model's context (what a chat turn does before it calls the model),
/// and delete.
/// </summary>
public sealed class LongChatBenchmark(ILongChatDatabases contexts, LongChatWorkload workload)
{
    public async Task<LongChatResult> RunAsync(IProgress<string> progress, MachineInfo machine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        long jsonBytes = 0, markdownBytes = 0;
        var trimmed = 0;
        for (var run = 0; run < workload.Runs; run++)
        {
            var factory = await contexts.CreateAsync(run, cancellationToken).ConfigureAwait(false);
            await ConversationsDatabase.InitializeAsync(factory, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            var store = new ConversationStore(factory, TimeProvider.System, NullLogger<ConversationStore>.Instance);
            var messages = new MessageTreeStore(factory, TimeProvider.System);
            async Task<T> Time<T>(string operation, Func<Task<T>> action)
            {
                progress.Report($"run {run + 1}/{workload.Runs}: {operation}");
                var watch = Stopwatch.StartNew();
                var value = await action().ConfigureAwait(false);
                (times.TryGetValue(operation, out var list) ? list : times[operation] = []).Add(watch.Elapsed.TotalMilliseconds);
                return value;
            }

            var import = Chain(workload.Messages);
            var conversation = await Time("import", () => store.ImportAsync(import, cancellationToken)).ConfigureAwait(false);
            var id = conversation.Id;
            jsonBytes = await Time("export json", async () =>
            {
                var tree = await messages.GetTreeAsync(id, cancellationToken).ConfigureAwait(false);
                var export = new ConversationExport { ExportedAt = DateTimeOffset.UtcNow, Conversation = tree.Conversation, Messages = tree.Messages };
                return (long)JsonSerializer.SerializeToUtf8Bytes(export, ConversationsJsonContext.Default.ConversationExport).Length;
            }).ConfigureAwait(false);
            markdownBytes = await Time("export markdown", async () =>
            {
                var tree = await messages.GetTreeAsync(id, cancellationToken).ConfigureAwait(false);
                var branch = await messages.GetActiveBranchAsync(id, cancellationToken).ConfigureAwait(false);
                return (long)System.Text.Encoding.UTF8.GetByteCount(ConversationMarkdown.Write(tree.Conversation, branch, DateTimeOffset.UtcNow));
            }).ConfigureAwait(false);
            var active = await Time("read branch", () => messages.GetActiveBranchWithSiblingsAsync(id, cancellationToken)).ConfigureAwait(false);
            var middle = active[workload.Messages / 2 / 2 * 2];
            await Time("branch (edit)", () => messages.EditUserMessageAsync(id, middle.Id, "Let us try another way.", cancellationToken)).ConfigureAwait(false);
            await Time("switch back", () => messages.ActivateAsync(id, active[^1].Id, cancellationToken)).ConfigureAwait(false);
            trimmed = await Time("trim to context", async () =>
            {
                var branch = await messages.GetActiveBranchAsync(id, cancellationToken).ConfigureAwait(false);
                var history = branch.Select(m => ChatMessage.Create(m.Role, m.Content)).ToList();
                // Inference's count of the too-long prompt, estimated as a model's tokenizer would give it: ~4 characters a token.
                var promptTokens = history.Sum(m => m.Content!.Text.Length) / 4;
                return HistoryTrimmer.Trim(history, promptTokens, workload.ContextTokens, 256)?.RemovedTurns ?? 0;
            }).ConfigureAwait(false);
            await Time("delete", () => store.DeleteAsync(id, cancellationToken)).ConfigureAwait(false);
        }

        var what = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["import"] = "POST /v1/conversations/import: check the export and insert every message in one transaction",
            ["export json"] = "GET …/export?format=json: read the tree and serialise it",
            ["export markdown"] = "GET …/export?format=markdown: read the tree and the active branch, write Markdown",
            ["read branch"] = "GET …/messages: the active branch with each message's siblings",
            ["branch (edit)"] = "PATCH …/messages/{id} in the middle: a new branch",
            ["switch back"] = "POST …/messages/{id}/activate: back to the old leaf",
            ["trim to context"] = $"read the active branch and trim it to a {workload.ContextTokens}-token context (HistoryTrimmer)",
            ["delete"] = "DELETE /v1/conversations/{id}: the conversation and all its messages",
        };
        return new LongChatResult(workload, machine, times.Select(pair => new LongChatTiming(pair.Key, what[pair.Key], pair.Value)).ToList(),
            jsonBytes, markdownBytes, trimmed);
    }

    /// <summary>An export of one chain of <paramref name="count"/> messages of about 60 characters.</summary>
    public static ConversationImport Chain(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        var start = DateTimeOffset.UtcNow.AddSeconds(-count);
        return new ConversationImport
        {
            Conversation = new ImportedConversation { Title = $"A chat of {count} messages", ActiveLeafId = ids[^1] },
            Messages = [.. ids.Select((id, i) => new ImportedMessage
            {
                Id = id,
                ParentId = i == 0 ? null : ids[i - 1],
                Role = i % 2 == 0 ? "user" : "assistant",
                Content = i % 2 == 0 ? $"Question {i / 2}: what happens next in the story?" : $"Answer {i / 2}: the fox walked on into the wood.",
                CreatedAt = start.AddSeconds(i),
            })],
        };
    }
}
