using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.Benchmarks.Ingest;

/// <summary>
/// One document through OPEA's dataprep on a running gateway, end to end: upload (<c>/v1/dataprep/ingest</c>), then
/// <c>/v1/dataprep/get</c> until it is searchable (parsed, chunked, embedded by inference, stored), and its deletion.
/// </summary>
public sealed class IngestBenchmark(HttpClient gateway, int pages, int chunkSize)
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    public async Task<IngestResult> RunAsync(IProgress<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var loadAtStart = MachineProbe.LoadAverage();
        var pdf = SyntheticPdf.Create(pages);
        var index = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var name = $"synthetic-{pages}-pages.pdf";
        progress.Report($"uploading {pdf.Length / 1024} KiB");

        var started = Stopwatch.GetTimestamp();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(pdf) { Headers = { ContentType = new MediaTypeHeaderValue("application/pdf") } }, "files", name },
            { new StringContent(chunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture)), "chunk_size" },
            { new StringContent(index), "index_name" },
        };
        using (var response = await gateway.PostAsync(new Uri("v1/dataprep/ingest", UriKind.Relative), form, cancellationToken).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"The gateway refused the upload ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
            }
        }

        var uploaded = Stopwatch.GetElapsedTime(started);
        DataprepFile file;
        var stages = new Dictionary<string, double>(StringComparer.Ordinal);
        while (true)
        {
            using var response = await gateway.PostAsJsonAsync(new Uri("v1/dataprep/get", UriKind.Relative),
                new DataprepGetRequest { IndexName = index }, DataprepJsonContext.Default.DataprepGetRequest, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var files = await response.Content.ReadFromJsonAsync(DataprepJsonContext.Default.IReadOnlyListDataprepFile, cancellationToken).ConfigureAwait(false) ?? [];
            file = files.Single(entry => entry.Name == name);
            if (stages.TryAdd(file.Status, Stopwatch.GetElapsedTime(started).TotalSeconds))
            {
                progress.Report(file.Status);
            }
            if (DocumentStatuses.IsFinished(file.Status))
            {
                break;
            }

            await Task.Delay(s_poll, cancellationToken).ConfigureAwait(false);
        }

        var searchable = Stopwatch.GetElapsedTime(started);
        if (file.Status == DocumentStatuses.Failed)
        {
            throw new InvalidOperationException($"Ingestion failed: {file.Error}");
        }

        var deleteStarted = Stopwatch.GetTimestamp();
        using (var deleted = await gateway.PostAsJsonAsync(new Uri("v1/dataprep/delete", UriKind.Relative),
            new DataprepDeleteRequest { FilePath = "all", IndexName = index }, DataprepJsonContext.Default.DataprepDeleteRequest, cancellationToken).ConfigureAwait(false))
        {
            deleted.EnsureSuccessStatusCode();
        }

        return new IngestResult
        {
            Machine = MachineProbe.Describe(loadAtStart),
            Pages = file.Pages ?? pages,
            Bytes = pdf.Length,
            Chunks = file.Chunks,
            ChunkSize = chunkSize,
            UploadSeconds = uploaded.TotalSeconds,
            StageSeconds = stages,
            SearchableSeconds = searchable.TotalSeconds,
            DeleteSeconds = Stopwatch.GetElapsedTime(deleteStarted).TotalSeconds,
        };
    }
}

public sealed record IngestResult
{
    public required MachineInfo Machine { get; init; }
    public required int Pages { get; init; }
    public required long Bytes { get; init; }
    public required int Chunks { get; init; }
    public required int ChunkSize { get; init; }

    /// <summary>Until the gateway accepted the upload (it ingests in the background).</summary>
    public required double UploadSeconds { get; init; }

    /// <summary>When each status was first seen (polled every 100 ms), from the upload's start: a status shorter than a poll may be missing.</summary>
    public required IReadOnlyDictionary<string, double> StageSeconds { get; init; }

    /// <summary>From the upload's start until the document was searchable.</summary>
    public required double SearchableSeconds { get; init; }
    public required double DeleteSeconds { get; init; }

    public double PagesPerSecond => Pages / SearchableSeconds;

    public double ChunksPerSecond => Chunks / SearchableSeconds;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(IngestResult))]
public sealed partial class IngestJsonContext : JsonSerializerContext;
