using System.CommandLine;
using System.CommandLine.Help;
using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary>The entry point: <c>dotnet run --project OpeaChat.Benchmarks -c Release -- COMMAND [options]</c>.</summary>
public static class BenchmarkCli
{
    private const string Hint = "Run with --help for the commands and their options.";

    private static readonly RootCommand s_root = CreateRoot();

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand("OpeaChat benchmarks: dotnet run --project OpeaChat.Benchmarks -c Release -- COMMAND [options]. " +
            "COMMAND --help lists its options. Exit codes: 0 done, 1 bad command line or failure, 2 a load target could not be measured. " +
            "See docs/benchmarks.md.")
        {
            LoadCommand.Command,
            SoakCommand.Command,
            PrefixCommand.Command,
            ConstrainedCommand.Command,
            IngestCommand.Command,
            SynthCommand.Command,
            SynthBertCommand.Command,
            EmbedCommand.Command,
            RetrievalCommand.Command,
            LongChatCommand.Command,
            BrowserCommand.Command,
        };

        // The benchmark has no version to show; its options are only those each command lists.
        foreach (var version in root.Options.OfType<VersionOption>().ToList())
        {
            root.Options.Remove(version);
        }

        return root;
    }

    /// <summary>Parses a command line: the command, then its options.</summary>
    public static ParseResult Parse(IReadOnlyList<string> args) => s_root.Parse(OptionValues.JoinTargets(args));

    /// <summary>What is wrong with a parsed command line, each naming the option or command concerned; empty when it can run.</summary>
    public static IReadOnlyList<string> Problems(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (command == s_root)
        {
            return [parse.UnmatchedTokens.Count > 0 ? $"Unknown command '{parse.UnmatchedTokens[0]}'." : "No command given."];
        }

        var problems = new List<string>();
        if (parse.UnmatchedTokens.Count > 0)
        {
            problems.Add($"Unknown option '{parse.UnmatchedTokens[0]}' for '{command.Name}'.");
        }

        // Unknown tokens are named above, in the benchmark's words, instead of as "unrecognized command or argument".
        problems.AddRange(parse.Errors.Select(error => error.Message)
            .Where(message => !parse.UnmatchedTokens.Any(token => message.Contains($"'{token}'", StringComparison.Ordinal)))
            .Where(message => !problems.Contains(message)));
        return problems;
    }

    /// <param name="args">The command line.</param>
    /// <param name="output">Where help goes (the console by default).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null)
    {
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Ctrl+C is handled below, as before
        };

        if (args.Length == 0)
        {
            await Parse(["--help"]).InvokeAsync(configuration).ConfigureAwait(false);
            return 1;
        }

        var parse = Parse(args[0] == "help" ? [.. args[1..], "--help"] : args);
        if (parse.Action is HelpAction)
        {
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }

        if (Problems(parse) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{problem}[/]");
            }

            AnsiConsole.WriteLine(Hint);
            return 1;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            return await parse.InvokeAsync(configuration, cancellation.Token).ConfigureAwait(false);
        }
        catch (CommandLineException exception)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{exception.Message}[/]");
            AnsiConsole.WriteLine(Hint);
            return 1;
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException or ArgumentException or InvalidDataException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Failed:[/] {exception.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine("[yellow]Cancelled.[/]");
            return 130;
        }
    }
}
