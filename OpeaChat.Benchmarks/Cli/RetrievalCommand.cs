using System.CommandLine;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Benchmarks.Retrieval;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>retrieval</c>: the SQLite document store filled with synthetic chunks, queried by vector, by BM25 and by both fused.</summary>
public static class RetrievalCommand
{
    private static readonly Option<int> s_chunks = OptionValues.Int("--chunks", 100_000, "Synthetic chunks to store.", min: 1, max: 10_000_000);
    private static readonly Option<int> s_dimensions = OptionValues.Int("--dimensions", 384, "Dimensions of each vector.", min: 1, max: 8192);
    private static readonly Option<int> s_perDocument = OptionValues.Int("--chunks-per-document", 100, "Chunks of each document (one transaction each).", min: 1, max: 100_000);
    private static readonly Option<int> s_queries = OptionValues.Int("--queries", 200, "Measured queries of each kind.", min: 1, max: 100_000);
    private static readonly Option<int> s_limit = OptionValues.Int("--limit", 20, "Chunks each query returns (OPEA's fetch_k).", min: 1, max: 1000);
    private static readonly Option<int> s_words = OptionValues.Int("--words", 80, "Words in each chunk's text.", min: 1, max: 10_000);
    private static readonly Option<int> s_queryWords = OptionValues.Int("--query-words", 5, "Words in each full-text query.", min: 1, max: 64);
    private static readonly Option<int> s_seed = OptionValues.Int("--seed", 1, "Seed of the synthetic text and vectors.");
    private static readonly Option<string?> s_data = OptionValues.Create<string?>("--data", null,
        "Folder for documents.db (kept afterwards); default: a temporary folder, deleted afterwards.", text => text, "DIR", showDefault: false);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "retrieval", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("retrieval", "Fills a SQLite document store with synthetic chunks and vectors, then measures vector, BM25 and hybrid query latency.")
        {
            s_chunks, s_dimensions, s_perDocument, s_queries, s_limit, s_words, s_queryWords, s_seed, s_data, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var workload = new RetrievalWorkload(
            line.GetValue(s_chunks), line.GetValue(s_dimensions), line.GetValue(s_perDocument), line.GetValue(s_queries),
            line.GetValue(s_limit), line.GetValue(s_words), line.GetValue(s_queryWords), line.GetValue(s_seed));
        var keep = line.GetValue(s_data);
        var directory = keep ?? Path.Combine(Path.GetTempPath(), "opeachat-retrieval-" + Guid.NewGuid().ToString("N"));
        if (keep is not null && File.Exists(Path.Combine(keep, ChatQnA.Retrieval.Store.DocumentStorageOptions.DatabaseFileName)))
        {
            throw new CommandLineException($"--data {keep} already holds a documents.db; give an empty folder.");
        }

        Directory.CreateDirectory(directory);
        try
        {
            var result = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal)
                    {
                        ["fill"] = context.AddTask("fill the store", maxValue: workload.Chunks),
                        ["vector queries"] = context.AddTask("vector queries", maxValue: workload.Queries),
                        ["full-text queries"] = context.AddTask("full-text queries", maxValue: workload.Queries),
                        ["hybrid queries"] = context.AddTask("hybrid queries", maxValue: workload.Queries),
                    };
                    var progress = new SynchronousProgress<(string Stage, int Done)>(update => tasks[update.Stage].Value = update.Done);
                    return await new RetrievalBenchmark(workload, directory).RunAsync(progress, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);

            var markdown = RetrievalReport.Markdown(result);
            AnsiConsole.WriteLine(markdown);
            var (json, file) = await ResultFiles.WriteAsync(result, RetrievalJsonContext.Default.RetrievalResult, markdown,
                line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
            AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
            return 0;
        }
        finally
        {
            if (keep is null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
