using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using OpeaChat.Benchmarks.Conversations;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.ChatQnA.Data;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>long-chat</c>: import, export, branch, trim and delete of one very long conversation in the gateway's store.</summary>
public static class LongChatCommand
{
    private static readonly Option<int> s_messages = OptionValues.Int("--messages", 100_000, "Messages in the chain.", min: 2, max: 10_000_000);
    private static readonly Option<int> s_runs = OptionValues.Int("--runs", 3, "Runs, each on a new database.", min: 1, max: 100);
    private static readonly Option<int> s_context = OptionValues.Int("--context-tokens", 4096, "The model context the history is trimmed to.", min: 256);
    private static readonly Option<string?> s_postgres = OptionValues.Create<string?>("--postgres", null,
        "A PostgreSQL connection string (a database per run is created beside it); default: SQLite in a temporary folder.", text => text, "CONNECTION", showDefault: false);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "long-chat", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("long-chat", "One conversation of N messages through the gateway's store: import, export, read, branch, trim, delete.")
        {
            s_messages, s_runs, s_context, s_postgres, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var postgres = line.GetValue(s_postgres);
        var workload = new LongChatWorkload(line.GetValue(s_messages), line.GetValue(s_runs), postgres is null ? "SQLite" : "PostgreSQL", line.GetValue(s_context));
        var folder = Directory.CreateTempSubdirectory("opeachat-long-chat-");
        try
        {
            var databases = new Databases(folder.FullName, postgres);
            var start = MachineProbe.LoadAverage();
            var result = await AnsiConsole.Status().StartAsync("starting", async status =>
                await new LongChatBenchmark(databases, workload)
                    .RunAsync(new SynchronousProgress<string>(text => status.Status(text)), MachineProbe.Describe(start), cancellationToken)
                    .ConfigureAwait(false)).ConfigureAwait(false);
            result = result with { Machine = result.Machine with { LoadAverageAtEnd = MachineProbe.LoadAverage() } };
            var markdown = LongChatReport.Markdown(result);
            AnsiConsole.WriteLine(markdown);
            var (json, file) = await ResultFiles.WriteAsync(result, LongChatJsonContext.Default.LongChatResult, markdown,
                line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
            AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private sealed class Databases(string folder, string? postgres) : ILongChatDatabases
    {
        public async Task<IDbContextFactory<ConversationsDbContext>> CreateAsync(int run, CancellationToken cancellationToken)
        {
            if (postgres is null)
            {
                return ConversationsDatabase.CreateSqliteFactory(Path.Combine(folder, $"run{run}", ConversationStorageOptions.DatabaseFileName));
            }

            var builder = new Npgsql.NpgsqlConnectionStringBuilder(postgres);
            var name = $"opeachat_long_chat_{Environment.ProcessId}_{run}";
            await using (var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                // One statement each: CREATE DATABASE cannot run inside the implicit transaction of a multi-statement command.
                foreach (var sql in new[] { $"DROP DATABASE IF EXISTS {name}", $"CREATE DATABASE {name}" })
                {
                    await using var command = new Npgsql.NpgsqlCommand(sql, connection);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            builder.Database = name;
            return ConversationsDatabase.CreatePostgresFactory(builder.ConnectionString);
        }
    }
}
