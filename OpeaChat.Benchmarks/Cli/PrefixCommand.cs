using OpeaChat.Benchmarks.Prefix;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>prefix</c>: a long chat with and without the server's prefix (KV-cache) reuse.</summary>
public static class PrefixCommand
{
    public const string Usage = """
        prefix [--target openai http://127.0.0.1:9009] [--turns 20] [--max-tokens 32] [--output artifacts/benchmarks] [--name prefix]
          A chat of N turns, every request carrying the whole history, run with cache_prompt true and then false.
        """;

    private static readonly string[] s_options = ["--turns", "--max-tokens", "--output", "--name"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, s_options);
        var target = TargetSpec.Parse(line.Get(CommandLine.TargetOption) ?? "http://127.0.0.1:9009", TargetKind.OpenAi);
        if (target.Kind != TargetKind.OpenAi)
        {
            throw new CommandLineException("prefix measures an OpenAI-compatible server (--target openai URL): cache_prompt is its field.");
        }

        var turns = line.GetInt("--turns", 20, min: 1, max: 1000);
        var maxTokens = line.GetInt("--max-tokens", 32, min: 1);
        using var client = new HttpClient { BaseAddress = target.BaseUri, Timeout = TimeSpan.FromMinutes(10) };
        var result = await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal)
                {
                    ["prefix reuse"] = context.AddTask("with prefix reuse", maxValue: turns),
                    ["no reuse"] = context.AddTask("without reuse", maxValue: turns),
                };
                var progress = new SynchronousProgress<(string Mode, int Turn)>(update => tasks[update.Mode].Value = update.Turn);
                return await new PrefixBenchmark(client, turns, maxTokens).RunAsync(progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

        var markdown = MarkdownReport.Prefix(result);
        AnsiConsole.WriteLine(markdown);
        var (json, file) = await ResultFiles.WriteAsync(result, BenchmarkJsonContext.Default.PrefixResult, markdown,
            line.GetString("--output", ResultFiles.DefaultDirectory), line.GetString("--name", "prefix"), cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
        return 0;
    }
}

/// <summary>Reports on the caller's thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
