using System.CommandLine;
using System.Net.Http.Headers;
using OpeaChat.Benchmarks.Constrained;
using OpeaChat.Benchmarks.Reporting;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>constrained</c>: decode speed with a json_schema or tool grammar against the same request without one.</summary>
public static class ConstrainedCommand
{
    private static readonly ConstrainedWorkload s_defaults = ConstrainedBenchmark.DefaultWorkload;

    private static readonly Option<IReadOnlyList<TargetSpec>> s_target = OptionValues.Targets(
        "The OpenAI-compatible server to measure: openai URL, or a bare URL [default: http://127.0.0.1:9009].", TargetKind.OpenAi);

    private static readonly Option<int> s_rounds = OptionValues.Int("--rounds", s_defaults.Rounds, "Rounds, each sending the three kinds once (order rotating); round 1 is reported apart.", min: 2, max: 1000);
    private static readonly Option<int> s_maxTokens = OptionValues.Int("--max-tokens", s_defaults.MaxTokens, "Output tokens per request.", min: 2, max: 4096);
    private static readonly Option<int> s_items = OptionValues.Int("--items", s_defaults.ArrayItems, "Objects the schema's array must hold (enough that no reply completes it).", min: 1, max: 1000);
    private static readonly Option<float> s_temperature = OptionValues.Float("--temperature", s_defaults.Temperature, "Sampling temperature.", 0, 2);
    private static readonly Option<int> s_topK = OptionValues.Int("--top-k", s_defaults.TopK, "Top-k sampling.", min: 0);
    private static readonly Option<int> s_seed = OptionValues.Int("--seed", s_defaults.Seed, "Base seed: round r samples with seed + r, the same for its three kinds.", min: 0);
    private static readonly Option<int> s_warmup = OptionValues.Int("--warmup", s_defaults.WarmupRequests, "Uncounted unconstrained requests first.", min: 0);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "constrained", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("constrained", "Streamed requests unconstrained (ignore_eos), with a json_schema response_format and with tools " +
            "(tool_choice required), interleaved: p50 decode tokens/s per kind and the ratios to unconstrained against the 0.9 goal.")
        {
            s_target, s_rounds, s_maxTokens, s_items, s_temperature, s_topK, s_seed, s_warmup, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var target = line.GetValue(s_target) is { Count: > 0 } targets ? targets[^1] : TargetSpec.Parse("http://127.0.0.1:9009", TargetKind.OpenAi);
        if (target.Kind != TargetKind.OpenAi)
        {
            throw new CommandLineException("constrained measures an OpenAI-compatible server (--target openai URL): response_format and tools are its fields.");
        }

        var workload = s_defaults with
        {
            Rounds = line.GetValue(s_rounds),
            MaxTokens = line.GetValue(s_maxTokens),
            ArrayItems = line.GetValue(s_items),
            Temperature = line.GetValue(s_temperature),
            TopK = line.GetValue(s_topK),
            Seed = line.GetValue(s_seed),
            WarmupRequests = line.GetValue(s_warmup),
        };
        using var client = new HttpClient { BaseAddress = target.BaseUri, Timeout = TimeSpan.FromMinutes(10) };
        // The development app's inference asks for its key (the AppHost's inference-api-key parameter), as for load.
        if (Environment.GetEnvironmentVariable("OPEACHAT_API_KEY") is { Length: > 0 } key)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        var result = await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("requests", maxValue: workload.Rounds * ConstrainedKinds.All.Count);
                var progress = new SynchronousProgress<(int Round, string Kind)>(_ => task.Increment(1));
                return await new ConstrainedBenchmark(client, workload).RunAsync(progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

        var markdown = MarkdownReport.Constrained(result);
        AnsiConsole.WriteLine(markdown);
        var (json, file) = await ResultFiles.WriteAsync(result, BenchmarkJsonContext.Default.ConstrainedResult, markdown,
            line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
        return 0;
    }
}
