using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Inference.Embeddings;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>
/// Runs pulls from the hub into the models folder, one per model id: a second request for the same file joins the
/// running pull. A pull runs on its own, apart from the request that started it (a client that leaves does not stop
/// it; <see cref="Cancel"/> does). Files are written as <c>&lt;name&gt;.gguf.part</c>, resumed with HTTP Range from
/// their length after an interruption or a restart, checked against the hub's SHA-256, then moved into place, so
/// the catalog never lists a model that is not whole. Also pulls <c>Inference:Pull</c> at start.
/// </summary>
public sealed partial class ModelPullManager : BackgroundService
{
    private const int BufferBytes = 1024 * 1024;

    private readonly HuggingFaceHub _hub;
    private readonly ModelCatalog _catalog;
    private readonly ModelManager _models;
    private readonly EmbeddingService _embeddings;
    private readonly IFreeSpaceProbe _disk;
    private readonly ModelDownloadOptions _options;
    private readonly InferenceOptions _inference;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelPullManager> _logger;
    private readonly ConcurrentDictionary<string, ModelPull> _pulls = new(StringComparer.Ordinal);
    private readonly Lock _startLock = new();
    // Never disposed: pulls started during shutdown may still read its token.
    private readonly CancellationTokenSource _stopping = new();

    public ModelPullManager(HuggingFaceHub hub, ModelCatalog catalog, ModelManager models, EmbeddingService embeddings, IFreeSpaceProbe disk,
        IOptions<ModelDownloadOptions> options, IOptions<InferenceOptions> inference, ILogger<ModelPullManager> logger, TimeProvider? time = null)
    {
        _hub = hub;
        _catalog = catalog;
        _models = models;
        _embeddings = embeddings;
        _disk = disk;
        _options = options.Value;
        _inference = inference.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public string ModelsDirectory => _catalog.ModelsDirectory;

    /// <summary>Pulls running now and those ended within <c>KeepEndedFor</c>, oldest first.</summary>
    public IReadOnlyList<ModelPull> List()
    {
        var now = _time.GetUtcNow();
        foreach (var pull in _pulls.Values.Where(pull => pull.EndedAt is { } ended && now - ended > _options.KeepEndedFor))
        {
            _pulls.TryRemove(new KeyValuePair<string, ModelPull>(pull.Id, pull));
        }

        return [.. _pulls.Values.OrderBy(pull => pull.Current.StartedAt)];
    }

    /// <summary>The running pulls (what readiness reports while there is no model yet).</summary>
    public IEnumerable<ModelPull> Running() => _pulls.Values.Where(pull => !pull.Ended);

    public bool IsPulling(string id) => _pulls.TryGetValue(id, out var pull) && !pull.Ended;

    /// <summary>Cancels a running pull; false when none runs for this id.</summary>
    public bool Cancel(string id)
    {
        if (!_pulls.TryGetValue(id, out var pull) || pull.Ended)
        {
            return false;
        }

        LogCancelling(pull.Id);
        pull.Cancel();
        return true;
    }

    /// <summary>
    /// Resolves the reference at the hub and starts its pull, or joins the one already running for the same file.
    /// What stops it before it starts (no such repository, no such quantisation, a token missing, a full disk) is
    /// thrown as <see cref="ModelPullException"/>, for the request to answer.
    /// </summary>
    public async Task<ModelPull> StartAsync(ModelReference reference, CancellationToken cancellationToken)
    {
        var entries = await WithRetriesAsync(() => _hub.ListFilesAsync(reference, cancellationToken), reference.ToString(), cancellationToken);
        var plan = PullPlan.Resolve(reference, entries);
        lock (_startLock)
        {
            if (_pulls.TryGetValue(plan.Id, out var running) && !running.Ended)
            {
                LogJoined(plan.Id);
                return running;
            }

            Directory.CreateDirectory(ModelsDirectory);
            var pull = new ModelPull(plan, _time, _options.ProgressInterval, _stopping.Token);
            if (plan.Files.All(file => IsComplete(file)))
            {
                // Already here: answered at once, and it still becomes the default model if there was none.
                pull.Resumed(plan.TotalBytes);
                _pulls[plan.Id] = pull;
                _ = Task.Run(() => FinishAsync(pull), CancellationToken.None);
                return pull;
            }

            CheckFreeSpace(plan);
            _pulls[plan.Id] = pull;
            LogStarted(plan.Id, plan.Reference.ToString(), plan.TotalBytes, plan.Files.Count);
            _ = Task.Run(() => RunAsync(pull), CancellationToken.None);
            return pull;
        }
    }

    private string LocalPath(PullFile file) => Path.Combine(ModelsDirectory, file.LocalName);

    private bool IsComplete(PullFile file) => new FileInfo(LocalPath(file)) is { Exists: true } info && info.Length == file.Size;

    private void CheckFreeSpace(PullPlan plan)
    {
        var needed = plan.Files.Where(file => !IsComplete(file)).Sum(file => file.Size - PartLength(file));
        var free = _disk.AvailableBytes(ModelsDirectory);
        if (free - needed < _options.FreeSpaceMarginBytes)
        {
            throw new ModelPullException(ModelPullException.InsufficientStorage, StatusCodes.Status507InsufficientStorage,
                $"Not enough disk space for {plan.Id}: it needs {Gigabytes(needed)} more plus a margin of {Gigabytes(_options.FreeSpaceMarginBytes)} " +
                $"(Inference:Download:FreeSpaceMarginBytes), and {Gigabytes(free)} are free on the disk of {ModelsDirectory}. Free some space or remove a model (DELETE /v1/models/{{id}}).");
        }
    }

    private long PartLength(PullFile file) => new FileInfo(LocalPath(file) + ".part") is { Exists: true } info && info.Length <= file.Size ? info.Length : 0;

    private static string Gigabytes(long bytes) => $"{bytes / 1e9:0.00} GB";

    private async Task RunAsync(ModelPull pull)
    {
        var token = pull.Token;
        try
        {
            pull.Stage(ModelPullStages.Downloading);
            foreach (var file in pull.Plan.Files)
            {
                if (IsComplete(file))
                {
                    pull.Resumed(file.Size);
                    continue;
                }

                await DownloadAsync(pull, file, token);
            }

            // Later parts first: the catalog lists a split model by its first part, which comes last, whole.
            foreach (var file in pull.Plan.Files.Reverse())
            {
                var part = LocalPath(file) + ".part";
                if (File.Exists(part))
                {
                    File.Move(part, LocalPath(file), overwrite: true);
                }
            }

            await FinishAsync(pull);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            if (pull.CancelRequested)
            {
                // Cancelled on request: nothing of it stays. Stopping the server keeps the parts to resume.
                DeleteParts(pull.Plan);
                LogCancelled(pull.Id);
            }

            pull.Stage(ModelPullStages.Cancelled);
        }
        catch (ModelPullException exception)
        {
            LogFailed(pull.Id, exception.Code, exception.Message);
            pull.Stage(ModelPullStages.Failed, exception.ToError());
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            var full = _disk.AvailableBytes(ModelsDirectory) < BufferBytes;
            var error = full
                ? new ModelPullException(ModelPullException.InsufficientStorage, StatusCodes.Status507InsufficientStorage,
                    $"The disk of {ModelsDirectory} is full; the partial download of {pull.Id} is kept and resumes when you pull it again after freeing space.")
                : new ModelPullException(ModelPullException.WriteFailed, StatusCodes.Status500InternalServerError,
                    $"Could not write {pull.Id} into {ModelsDirectory}: {exception.Message}");
            LogFailed(pull.Id, error.Code, error.Message);
            pull.Stage(ModelPullStages.Failed, error.ToError());
        }
#pragma warning disable CA1031 // Whatever else went wrong ends the pull as failed, with the reason, instead of leaving it running forever.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogFailed(pull.Id, ModelPullException.HubError, exception.Message);
            pull.Stage(ModelPullStages.Failed, new ModelPullError { Code = ModelPullException.HubError, Message = $"The pull of {pull.Id} failed: {exception.Message}" });
        }
    }

    private void DeleteParts(PullPlan plan)
    {
        foreach (var file in plan.Files)
        {
            TryDelete(LocalPath(file) + ".part");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Fetches one file into its <c>.part</c>, resuming what is there, and checks its SHA-256.</summary>
    private async Task DownloadAsync(ModelPull pull, PullFile file, CancellationToken cancellationToken)
    {
        var part = LocalPath(file) + ".part";
        if (new FileInfo(part) is { Exists: true, Length: var stale } && stale > file.Size)
        {
            File.Delete(part);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long hashed = 0;
        await using (var existing = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite, BufferBytes, useAsync: true))
        {
            // A resumed part is hashed from its start, so the check covers every byte, old and new.
            var buffer = new byte[BufferBytes];
            int read;
            while ((read = await existing.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                hashed += read;
            }
        }

        if (hashed > 0)
        {
            LogResuming(pull.Id, file.LocalName, hashed);
            pull.Resumed(hashed);
        }

        string? advertised = file.Sha256;
        var failures = 0;
        var buffer2 = new byte[BufferBytes];
        while (hashed < file.Size)
        {
            var before = hashed;
            try
            {
                using var download = await _hub.OpenAsync(pull.Plan.Reference, file.RemotePath, hashed, cancellationToken);
                advertised ??= download.Sha256;
                if (download.Offset != hashed)
                {
                    // The server ignored the Range and sends the whole file: start the part again.
                    LogRangeIgnored(pull.Id, file.LocalName, hashed);
                    pull.Restarted(hashed);
                    hashed = 0;
                    before = 0;
                    hash.GetHashAndReset();
                }

                await using var output = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, BufferBytes, useAsync: true);
                output.SetLength(hashed);
                output.Seek(hashed, SeekOrigin.Begin);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (true)
                {
                    stall.CancelAfter(_options.StallTimeout);
                    int read;
                    try
                    {
                        read = await download.Content.ReadAsync(buffer2, stall.Token);
                    }
                    catch (Exception exception) when (exception is IOException or HttpRequestException
                        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                    {
                        throw new ModelPullException(ModelPullException.HubUnreachable, StatusCodes.Status502BadGateway,
                            $"The download of {file.LocalName} broke off at {hashed} of {file.Size} bytes: {exception.Message}", transient: true);
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    await output.WriteAsync(buffer2.AsMemory(0, read), cancellationToken);
                    hash.AppendData(buffer2, 0, read);
                    hashed += read;
                    pull.Advance(read);
                }

                if (hashed < file.Size)
                {
                    throw new ModelPullException(ModelPullException.HubUnreachable, StatusCodes.Status502BadGateway,
                        $"The download of {file.LocalName} ended at {hashed} of {file.Size} bytes.", transient: true);
                }
            }
            catch (ModelPullException exception) when (exception.Transient)
            {
                // A try that brought bytes starts the count again: a long download on a flaky line still finishes.
                failures = hashed > before ? 1 : failures + 1;
                if (failures >= _options.MaxAttempts)
                {
                    throw new ModelPullException(exception.Code, exception.StatusCode,
                        $"{exception.Message} Gave up after {failures} tries; pull again to resume from {hashed} bytes.");
                }

                var delay = Backoff(failures);
                LogRetrying(pull.Id, file.LocalName, failures, delay.TotalSeconds, exception.Message);
                await Task.Delay(delay, _time, cancellationToken);
            }
        }

        pull.Stage(ModelPullStages.Verifying);
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (advertised is not null && !string.Equals(actual, advertised, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(part);
            throw new ModelPullException(ModelPullException.ChecksumMismatch, StatusCodes.Status502BadGateway,
                $"{file.LocalName} arrived with SHA-256 {actual}, but the hub says {advertised}: the download was corrupted or changed on the way. " +
                "The partial file was deleted; pull again.");
        }

        if (advertised is null)
        {
            LogNoChecksum(pull.Id, file.LocalName);
        }

        pull.Stage(ModelPullStages.Downloading);
    }

    private TimeSpan Backoff(int failures)
    {
        var delay = _options.RetryDelay * Math.Pow(2, Math.Min(failures - 1, 20));
        return delay < _options.MaxRetryDelay ? delay : _options.MaxRetryDelay;
    }

    private async Task<T> WithRetriesAsync<T>(Func<Task<T>> call, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (ModelPullException exception) when (exception.Transient && attempt < _options.MaxAttempts)
            {
                var delay = Backoff(attempt);
                LogRetrying(what, "listing", attempt, delay.TotalSeconds, exception.Message);
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (System.Text.Json.JsonException exception)
            {
                throw new ModelPullException(ModelPullException.HubError, StatusCodes.Status502BadGateway,
                    $"The hub's file listing for {what} is not what the Hugging Face API sends ({exception.Message}); check HF_ENDPOINT.");
            }
        }
    }

    /// <summary>
    /// The file is in place: the first chat model of a server that had none becomes its default and is loaded, so a
    /// chat works when the pull says ready; the first embedding model becomes the embedding model if none is set.
    /// </summary>
    private async Task FinishAsync(ModelPull pull)
    {
        try
        {
            await AdoptAsync(ModelFile.FromPath(LocalPath(pull.Plan.Files[0])));
            LogReady(pull.Id, LocalPath(pull.Plan.Files[0]));
            pull.Stage(ModelPullStages.Ready);
        }
        catch (OperationCanceledException)
        {
            pull.Stage(ModelPullStages.Ready);
        }
    }

    /// <summary>The start-up pull, <c>Inference:Pull</c>: skipped when the file is already in the models folder.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_inference.Pull))
        {
            return;
        }

        await Task.Yield();
        if (!ModelReference.TryParse(_inference.Pull, out var reference, out var problem))
        {
            LogStartupPullInvalid(_inference.Pull, problem);
            return;
        }

        if (LocalMatch(reference) is { } present)
        {
            // Pulled on an earlier start: it serves again even when the configured model file is missing (compose's
            // MODEL_FILE left at its default beside OPEACHAT_PULL).
            LogStartupPullPresent(reference.ToString(), present);
            await AdoptAsync(ModelFile.FromPath(Path.Combine(ModelsDirectory, present)));
            return;
        }

        try
        {
            var pull = await StartAsync(reference, stoppingToken);
            var lastDecile = -1;
            await foreach (var status in pull.FollowAsync(stoppingToken))
            {
                var decile = status.BytesTotal is > 0 and var total ? (int)(status.BytesDone * 10 / total) : 0;
                if (decile != lastDecile && status.Stage == ModelPullStages.Downloading)
                {
                    lastDecile = decile;
                    LogStartupProgress(status.Id, status.BytesDone, status.BytesTotal ?? 0, decile * 10);
                }
            }
        }
        catch (ModelPullException exception)
        {
            LogFailed(reference.ToString(), exception.Code, exception.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The first chat model of a server that has none becomes its default and is loaded; the first embedding model
    /// becomes the embedding model if none is set.
    /// </summary>
    private async Task AdoptAsync(ModelFile file)
    {
        if (ModelKinds.IsEmbeddingModel(file.Path))
        {
            if (_embeddings.Dedicated.TryAdopt(file))
            {
                LogAdoptedEmbedding(file.Id);
            }
        }
        else if (_catalog.TrySetDefault(file))
        {
            LogAdoptedDefault(file.Id);
            try
            {
                await _models.LoadAsync(file).WaitAsync(_stopping.Token);
            }
#pragma warning disable CA1031 // A model that fails to load keeps its reason as its state (/health, /v1/models); the pull itself succeeded.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>
    /// A model file already here that the reference names, found without asking the hub (a start offline must not
    /// fail): the file itself, or a file whose name holds the repository's (without <c>-GGUF</c>) and the quantisation.
    /// </summary>
    private string? LocalMatch(ModelReference reference)
    {
        if (!Directory.Exists(ModelsDirectory))
        {
            return null;
        }

        var files = ModelFileResolver.ListModelFiles(ModelsDirectory).Select(Path.GetFileName).OfType<string>().ToList();
        if (reference.TagIsFile)
        {
            return files.FirstOrDefault(name => string.Equals(name, Path.GetFileName(reference.Tag), StringComparison.OrdinalIgnoreCase));
        }

        var stem = reference.Repository.EndsWith("-GGUF", StringComparison.OrdinalIgnoreCase) ? reference.Repository[..^5] : reference.Repository;
        return files.FirstOrDefault(name => name.Contains(stem, StringComparison.OrdinalIgnoreCase)
            && PullPlan.Quantizations([name]).Contains(reference.Tag, StringComparer.OrdinalIgnoreCase));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling {ModelId} from {Reference}: {TotalBytes} bytes in {FileCount} file(s)")]
    private partial void LogStarted(string modelId, string reference, long totalBytes, int fileCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "A second request for {ModelId} follows the pull already running")]
    private partial void LogJoined(string modelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming {ModelId}: {FileName} has {Bytes} bytes from an earlier pull")]
    private partial void LogResuming(string modelId, string fileName, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The server ignored the Range for {ModelId} ({FileName} from {Offset}): fetching it from the start")]
    private partial void LogRangeIgnored(string modelId, string fileName, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pull of {ModelId} ({FileName}) failed, try {Attempt}; retrying in {DelaySeconds} s: {Reason}")]
    private partial void LogRetrying(string modelId, string fileName, int attempt, double delaySeconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The hub gave no SHA-256 for {ModelId} ({FileName}); only its size was checked")]
    private partial void LogNoChecksum(string modelId, string fileName);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pull of {ModelId} failed ({Code}): {Reason}")]
    private partial void LogFailed(string modelId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling the pull of {ModelId}")]
    private partial void LogCancelling(string modelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull of {ModelId} cancelled; its partial files were deleted")]
    private partial void LogCancelled(string modelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulled {ModelId} into {ModelPath}")]
    private partial void LogReady(string modelId, string modelPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelId} is the default chat model now (the server had none); loading it")]
    private partial void LogAdoptedDefault(string modelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelId} serves /v1/embeddings now (no Inference:EmbeddingModel was set)")]
    private partial void LogAdoptedEmbedding(string modelId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inference:Pull is '{Reference}': {Problem}")]
    private partial void LogStartupPullInvalid(string reference, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inference:Pull {Reference} is already here as {FileName}; not pulling")]
    private partial void LogStartupPullPresent(string reference, string fileName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling {ModelId}: {BytesDone} of {BytesTotal} bytes ({Percent}%)")]
    private partial void LogStartupProgress(string modelId, long bytesDone, long bytesTotal, int percent);
}
