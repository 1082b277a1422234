using Microsoft.AspNetCore.Components.Forms;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Documents;

/// <summary>
/// The documents one browser tab shows (its collection's files and links, and the uploads on their way), with
/// upload, links, delete and the ingestion progress polled from the gateway until each is searchable or failed.
/// Failures go to the page's error bar (<see cref="ChatErrorState"/>); <see cref="Changed"/> says when to draw.
/// </summary>
public sealed partial class DocumentLibrary(DataprepClient client, ChatErrorState errors, TimeProvider clock, ILogger<DocumentLibrary> logger) : IDisposable
{
    /// <summary>The largest file the page accepts (the gateway has its own limit and says so).</summary>
    public const long MaxUploadBytes = 20 * 1024 * 1024;

    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<DocumentUpload> _uploads = [];
    private IReadOnlyList<DataprepFile> _all = [];
    private bool _polling;

    /// <summary>How often ingestion progress is asked for while a document is not finished.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Raised (from any thread) when something shown changed.</summary>
    public event Action? Changed;

    /// <summary>The collection shown and uploaded into.</summary>
    public string Collection { get; private set; } = RetrievalDefaults.IndexName;

    public IReadOnlyList<DataprepFile> Files => _all.Where(file => file.IndexName == Collection).ToList();

    /// <summary>The collections that hold documents, and the one shown.</summary>
    public IReadOnlyList<string> Collections => _all.Select(file => file.IndexName).Append(Collection)
        .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Uploads not listed by the gateway yet (reading, sending, or failed before it took them).</summary>
    public IReadOnlyList<DocumentUpload> Uploads => _uploads;

    public bool Loaded { get; private set; }

    /// <summary>Whether new files and links go to the collection everyone reads (an admin's choice) rather than one's own.</summary>
    public bool Share { get; set; }

    /// <summary>Shows <paramref name="collection"/> (null or empty: the default) and loads the list.</summary>
    public async Task ShowAsync(string? collection, CancellationToken cancellationToken = default)
    {
        Collection = string.IsNullOrWhiteSpace(collection) ? RetrievalDefaults.IndexName : collection.Trim();
        await RefreshAsync(cancellationToken);
    }

    public async Task<bool> RefreshAsync(CancellationToken cancellationToken = default)
    {
        bool ok;
        try
        {
            ok = await errors.RunAsync(async () => _all = await client.ListAsync(RetrievalDefaults.AllIndexes, cancellationToken),
                () => RefreshAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false; // The panel closed.
        }

        Loaded = true;
        Settle();
        return ok;
    }

    /// <summary>Reads each file from the browser and posts it (one request each, so each has its own progress and failure).</summary>
    public async Task UploadAsync(IReadOnlyList<IBrowserFile> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var uploads = files.Select(file => (File: file, Upload: new DocumentUpload(file.Name, file.Size))).ToList();
        _uploads.AddRange(uploads.Select(item => item.Upload));
        Notify();
        foreach (var (file, upload) in uploads)
        {
            try
            {
                await UploadOneAsync(file, upload, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The panel closed: the browser can no longer send the rest.
                upload.Error = "The upload stopped when the panel closed.";
                upload.Sending = false;
            }
        }

        EnsurePolling();
    }

    /// <summary>Ingests the links in <paramref name="text"/>, one a line. False (the text is to be kept) when they were refused.</summary>
    public async Task<bool> AddLinksAsync(string? text, CancellationToken cancellationToken = default)
    {
        var links = (text ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (links.Length == 0)
        {
            return false;
        }

        var ok = await errors.RunAsync(async () =>
        {
            var result = await client.IngestLinksAsync(links, Collection, Share, cancellationToken);
            Merge(result.Files);
        }, () => AddLinksAsync(text, cancellationToken));
        Notify();
        EnsurePolling();
        return ok;
    }

    public async Task<bool> DeleteAsync(DataprepFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var ok = await errors.RunAsync(() => client.DeleteAsync(file.Id, file.IndexName, cancellationToken), () => DeleteAsync(file, cancellationToken));
        if (ok)
        {
            _all = _all.Where(listed => listed.Id != file.Id).ToList();
        }

        Notify();
        return ok;
    }

    /// <summary>How many of the shown collection's documents are the signed-in person's own (not shared).</summary>
    public int OwnCount => Files.Count(file => !file.Shared);

    /// <summary>An admin shares their own documents of the shown collection with everyone; the gateway's refusal goes to the error bar.</summary>
    public async Task<bool> ShareCollectionAsync(CancellationToken cancellationToken = default)
    {
        var collection = Collection;
        var ok = await errors.RunAsync(() => client.ShareAsync(collection, cancellationToken), () => ShareCollectionAsync(cancellationToken));
        if (ok)
        {
            await RefreshAsync(cancellationToken);
        }

        Notify();
        return ok;
    }

    /// <summary>Forgets an upload that failed before the gateway took it.</summary>
    public void Dismiss(DocumentUpload upload)
    {
        _uploads.Remove(upload);
        Notify();
    }

    private async Task UploadOneAsync(IBrowserFile file, DocumentUpload upload, CancellationToken cancellationToken)
    {
        if (file.Size > MaxUploadBytes)
        {
            upload.Error = $"{file.Name} is {DataprepClient.FormatBytes(file.Size)}; the page takes files up to {DataprepClient.FormatBytes(MaxUploadBytes)}.";
            Notify();
            return;
        }

        try
        {
            using var buffer = new MemoryStream((int)file.Size);
            await using (var source = file.OpenReadStream(MaxUploadBytes, cancellationToken))
            {
                await CopyWithProgressAsync(source, buffer, upload, cancellationToken);
            }

            buffer.Position = 0;
            upload.Sending = true;
            Notify();
            var result = await client.IngestFilesAsync([new DataprepUpload(file.Name, buffer, file.ContentType)], Collection, Share, cancellationToken);
            upload.DocumentId = result.Files?.FirstOrDefault()?.Id;
            Merge(result.Files);
            await RefreshAsync(cancellationToken);
        }
        catch (ChatQnAException exception)
        {
            upload.Error = exception.Message;
            errors.Log(exception);
            errors.Show(exception, retry: null);
        }
        catch (IOException exception)
        {
            // The browser stopped sending the file (tab closed, file changed on disk).
            upload.Error = $"{file.Name} could not be read: {exception.Message}";
            LogReadFailed(logger, file.Name, exception);
        }

        upload.Sending = false;
        Notify();
    }

    private async Task CopyWithProgressAsync(Stream source, Stream target, DocumentUpload upload, CancellationToken cancellationToken)
    {
        var chunk = new byte[64 * 1024];
        long copied = 0;
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            await target.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
            copied += read;
            var percent = upload.Bytes == 0 ? 100 : (int)(copied * 100 / upload.Bytes);
            if (percent != upload.Percent)
            {
                upload.Percent = percent;
                Notify();
            }
        }

        upload.Percent = 100;
    }

    /// <summary>Adds the documents an ingest queued, so they show before the next listing.</summary>
    private void Merge(IReadOnlyList<DataprepFile>? queued)
    {
        if (queued is { Count: > 0 })
        {
            var ids = queued.Select(file => file.Id).ToHashSet(StringComparer.Ordinal);
            _all = [.. _all.Where(file => !ids.Contains(file.Id)), .. queued];
            Settle();
        }
    }

    /// <summary>Uploads the gateway now lists are shown by their listed row instead.</summary>
    private void Settle()
    {
        _uploads.RemoveAll(upload => upload.DocumentId is { } id && _all.Any(file => file.Id == id));
        Notify();
    }

    private void EnsurePolling()
    {
        if (!_polling && _all.Any(file => !DocumentStatuses.IsFinished(file.Status)))
        {
            _polling = true;
            _ = PollAsync(_lifetime.Token);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (_all.Any(file => !DocumentStatuses.IsFinished(file.Status)))
            {
                await Task.Delay(PollInterval, clock, cancellationToken);
                if (!await RefreshAsync(cancellationToken))
                {
                    break; // The error bar says why; Retry there lists again.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The tab closed.
        }
        finally
        {
            _polling = false;
        }
    }

    private void Notify() => Changed?.Invoke();

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the upload {Name} from the browser failed")]
    private static partial void LogReadFailed(ILogger logger, string name, Exception exception);
}
