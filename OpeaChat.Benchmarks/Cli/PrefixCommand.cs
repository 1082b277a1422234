using System.CommandLine;
using OpeaChat.Benchmarks.Prefix;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>prefix</c>: a long chat with and without the server's prefix (KV-cache) reuse.</summary>
public static class PrefixCommand
{
    private static readonly Option<IReadOnlyList<TargetSpec>> s_target = OptionValues.Targets(
        "The OpenAI-compatible server to measure: openai URL, or a bare URL [default: http://127.0.0.1:9009].", TargetKind.OpenAi);

    private static readonly Option<int> s_turns = OptionValues.Int("--turns", 20, "Turns of the chat.", min: 1, max: 1000);
    private static readonly Option<int> s_maxTokens = OptionValues.Int("--max-tokens", 32, "Output tokens per turn.", min: 1);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "prefix", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("prefix", "A chat of N turns, every request carrying the whole history, run with cache_prompt true and then false.")
        {
            s_target, s_turns, s_maxTokens, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var target = line.GetValue(s_target) is { Count: > 0 } targets ? targets[^1] : TargetSpec.Parse("http://127.0.0.1:9009", TargetKind.OpenAi);
        if (target.Kind != TargetKind.OpenAi)
        {
            throw new CommandLineException("prefix measures an OpenAI-compatible server (--target openai URL): cache_prompt is its field.");
        }

        var turns = line.GetValue(s_turns);
        var maxTokens = line.GetValue(s_maxTokens);
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
            line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
        return 0;
    }
}

/// <summary>Reports on the caller's thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
