using OpeaChat.Benchmarks.Prefix;
using OpeaChat.Benchmarks.Reporting;
using Spectre.Console;

namespace OpeaChat.Benchmarks;

/// <summary>
/// <c>dotnet run --project OpeaChat.Benchmarks -c Release -- prefix [--target URL] [--turns N] [--max-tokens N] [--output DIR]</c>
/// </summary>
public static class BenchmarkCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            AnsiConsole.MarkupLine("Usage: [bold]prefix[/] [[--target http://localhost:9009]] [[--turns 20]] [[--max-tokens 32]] [[--output artifacts/benchmarks]]");
            return args.Length == 0 ? 1 : 0;
        }

        var options = Options.Parse(args.Skip(1).ToArray());
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        switch (args[0])
        {
            case "prefix":
                using (var client = new HttpClient { BaseAddress = options.Target, Timeout = TimeSpan.FromMinutes(10) })
                {
                    var result = await AnsiConsole.Status().StartAsync($"Running a {options.Turns}-turn chat twice against {options.Target}…",
                        _ => new PrefixBenchmark(client, options.Turns, options.MaxTokens).RunAsync(cancellation.Token));
                    var (json, markdown) = await ResultWriter.WriteAsync(result, options.Output, cancellation.Token);
                    AnsiConsole.WriteLine(ResultWriter.ToMarkdown(result));
                    AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{markdown}[/].");
                }

                return 0;
            default:
                AnsiConsole.MarkupLineInterpolated($"[red]Unknown command '{args[0]}'.[/] Try --help.");
                return 1;
        }
    }

    private sealed record Options(Uri Target, int Turns, int MaxTokens, string Output)
    {
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                values[args[i]] = args[i + 1];
            }

            var target = values.GetValueOrDefault("--target", "http://localhost:9009");
            return new Options(
                new Uri(target.EndsWith('/') ? target : target + "/"),
                int.Parse(values.GetValueOrDefault("--turns", "20"), System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(values.GetValueOrDefault("--max-tokens", "32"), System.Globalization.CultureInfo.InvariantCulture),
                values.GetValueOrDefault("--output", Path.Combine("artifacts", "benchmarks")));
        }
    }
}
