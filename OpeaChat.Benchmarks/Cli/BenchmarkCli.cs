using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary>The entry point: <c>dotnet run --project OpeaChat.Benchmarks -c Release -- COMMAND [options]</c>.</summary>
public static class BenchmarkCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            ShowUsage();
            return args.Length == 0 ? 1 : 0;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            return args[0] switch
            {
                "load" => await LoadCommand.RunAsync(args, cancellation.Token).ConfigureAwait(false),
                "prefix" => await PrefixCommand.RunAsync(args, cancellation.Token).ConfigureAwait(false),
                "synth" => await SynthCommand.RunAsync(args, cancellation.Token).ConfigureAwait(false),
                _ => throw new CommandLineException($"Unknown command '{args[0]}'."),
            };
        }
        catch (CommandLineException exception)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{exception.Message}[/]");
            AnsiConsole.WriteLine("Run with --help for the commands and their options.");
            return 1;
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException or ArgumentException)
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

    /// <summary>Plain text, so a narrow or redirected console does not re-wrap the option columns.</summary>
    private static void ShowUsage()
    {
        Console.WriteLine("OpeaChat benchmarks: dotnet run --project OpeaChat.Benchmarks -c Release -- COMMAND [options]");
        Console.WriteLine();
        Console.WriteLine(LoadCommand.Usage);
        Console.WriteLine(PrefixCommand.Usage);
        Console.WriteLine(SynthCommand.Usage);
        Console.WriteLine("Exit codes: 0 done, 1 bad command line or failure, 2 a load target could not be measured. See docs/benchmarks.md.");
    }
}
