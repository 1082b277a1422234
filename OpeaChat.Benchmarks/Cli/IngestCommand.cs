using System.CommandLine;
using System.Globalization;
using OpeaChat.Benchmarks.Ingest;
using OpeaChat.Benchmarks.Reporting;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>ingest</c>: a PDF of N pages through a running gateway's dataprep, until it is searchable.</summary>
public static class IngestCommand
{
    private static readonly Option<string> s_gateway = OptionValues.Text("--gateway", "http://127.0.0.1:8888", "The gateway whose dataprep is measured.", "URL");
    private static readonly Option<int> s_pages = OptionValues.Int("--pages", 300, "Pages of the synthetic PDF.", min: 1, max: 10_000);
    private static readonly Option<int> s_chunkSize = OptionValues.Int("--chunk-size", 1500, "Characters per chunk (OPEA's chunk_size).", min: 100, max: 100_000);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "ingest", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("ingest", "Uploads a synthetic PDF of N pages to /v1/dataprep/ingest and times it until it is searchable (parsed, chunked, embedded, stored).")
        {
            s_gateway, s_pages, s_chunkSize, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(line.GetValue(s_gateway), UriKind.Absolute, out var gateway))
        {
            throw new CommandLineException("--gateway must be an absolute URL, such as http://127.0.0.1:8888.");
        }

        using var client = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromMinutes(30) };
        var result = await new IngestBenchmark(client, line.GetValue(s_pages), line.GetValue(s_chunkSize))
            .RunAsync(new SynchronousProgress<string>(stage => AnsiConsole.MarkupLineInterpolated($"[grey]{stage}[/]")), cancellationToken).ConfigureAwait(false);

        var markdown = Markdown(result);
        AnsiConsole.WriteLine(markdown);
        var (json, file) = await ResultFiles.WriteAsync(result, IngestJsonContext.Default.IngestResult, markdown,
            line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
        return 0;
    }

    public static string Markdown(IngestResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Create(CultureInfo.InvariantCulture, $"""
            # Ingestion: a {result.Pages}-page PDF, end to end

            {result.Machine.CpuModel}, {result.Machine.LogicalCores} logical cores, load {result.Machine.LoadAverageAtStart ?? "n/a"}.

            | Pages | Size | Chunks (chunk_size {result.ChunkSize}) | Upload accepted | Searchable after | Pages/s | Chunks/s | Delete |
            | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
            | {result.Pages} | {result.Bytes / 1024.0:F0} KiB | {result.Chunks} | {result.UploadSeconds:F2} s | {result.SearchableSeconds:F2} s | {result.PagesPerSecond:F1} | {result.ChunksPerSecond:F1} | {result.DeleteSeconds:F2} s |

            Statuses first seen (from the upload's start, polled every 100 ms): {string.Join(", ", result.StageSeconds.Select(stage => stage.Key + " " + stage.Value.ToString("F2", CultureInfo.InvariantCulture) + " s"))}.

            """);
    }
}
