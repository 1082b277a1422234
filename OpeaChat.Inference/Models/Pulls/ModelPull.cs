using System.Runtime.CompilerServices;
using OpeaChat.Contracts.ModelPulls;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>
/// One running (or recently ended) pull: its latest status, which any number of followers read, and the means to
/// cancel it. Progress is published at most every <c>ProgressInterval</c> or at each whole percent; followers always
/// see the latest status and never miss the final one.
/// </summary>
public sealed class ModelPull
{
    private static readonly TimeSpan SpeedWindow = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    private readonly Queue<(long Ticks, long Bytes)> _samples = new();
    // Every stage change, so that a follower woken late still sees each stage, not only the latest progress.
    private readonly List<ModelPullStatus> _stages = [];
    private readonly CancellationTokenSource _cancel;
    private readonly TaskCompletionSource<ModelPullStatus> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ModelPullStatus _current;
    private long _lastPublished;
    private int _lastPercent = -1;

    public ModelPull(PullPlan plan, TimeProvider time, TimeSpan interval, CancellationToken stopping)
    {
        Plan = plan;
        _time = time;
        _interval = interval;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _current = new ModelPullStatus
        {
            Id = plan.Id,
            Model = plan.Reference.ToString(),
            Stage = ModelPullStages.Resolving,
            Files = [.. plan.Files.Select(file => file.RemotePath)],
            BytesTotal = plan.TotalBytes,
            StartedAt = time.GetUtcNow(),
        };
    }

    public PullPlan Plan { get; }

    public string Id => Plan.Id;

    public ModelPullStatus Current => _current;

    public bool Ended => ModelPullStages.IsFinal(_current.Stage);

    /// <summary>When it ended, for how long it is still listed.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>Ends with the final status.</summary>
    public Task<ModelPullStatus> Completion => _ended.Task;

    public CancellationToken Token => _cancel.Token;

    /// <summary>True once someone asked to cancel (not the server stopping, which keeps the partial files).</summary>
    public bool CancelRequested { get; private set; }

    public void Cancel()
    {
        CancelRequested = true;
        _cancel.Cancel();
    }

    /// <summary>The stage changes (sent at once).</summary>
    public void Stage(string stage, ModelPullError? error = null)
    {
        lock (_lock)
        {
            Publish(_current with { Stage = stage, Error = error, BytesPerSecond = ModelPullStages.IsFinal(stage) ? null : _current.BytesPerSecond });
            _stages.Add(_current);
            if (ModelPullStages.IsFinal(stage))
            {
                EndedAt = _time.GetUtcNow();
                _ended.TrySetResult(_current);
            }
        }
    }

    /// <summary>Bytes found on disk from an earlier pull (counted as done, not as downloaded).</summary>
    public void Resumed(long bytes)
    {
        lock (_lock)
        {
            _current = _current with { BytesDone = _current.BytesDone + bytes, BytesResumed = _current.BytesResumed + bytes };
        }
    }

    /// <summary>A server ignored the Range: what it had counted as resumed is fetched again.</summary>
    public void Restarted(long bytes)
    {
        lock (_lock)
        {
            _current = _current with { BytesDone = _current.BytesDone - bytes, BytesResumed = Math.Max(0, _current.BytesResumed - bytes) };
        }
    }

    /// <summary>Bytes received; published when the interval has passed or a new whole percent is reached.</summary>
    public void Advance(long bytes)
    {
        lock (_lock)
        {
            var done = _current.BytesDone + bytes;
            var now = _time.GetTimestamp();
            _samples.Enqueue((now, done));
            while (_samples.Count > 2 && _time.GetElapsedTime(_samples.Peek().Ticks, now) > SpeedWindow)
            {
                _samples.Dequeue();
            }

            var (oldestTicks, oldestBytes) = _samples.Peek();
            var seconds = _time.GetElapsedTime(oldestTicks, now).TotalSeconds;
            var speed = seconds > 0 ? (done - oldestBytes) / seconds : _current.BytesPerSecond;
            var next = _current with { BytesDone = done, BytesPerSecond = speed };
            var percent = _current.BytesTotal is > 0 and var total ? (int)(done * 100 / total) : -1;
            if (percent != _lastPercent || _time.GetElapsedTime(_lastPublished, now) >= _interval)
            {
                _lastPercent = percent;
                Publish(next);
            }
            else
            {
                _current = next;
            }
        }
    }

    private void Publish(ModelPullStatus status)
    {
        _current = status;
        _lastPublished = _time.GetTimestamp();
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// The statuses as they are published, from the current one to the final one: every stage change, and the
    /// latest progress between them (a slow follower skips progress, never a stage).
    /// </summary>
    public async IAsyncEnumerable<ModelPullStatus> FollowAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ModelPullStatus? last = null;
        int seen;
        lock (_lock)
        {
            seen = _stages.Count;
        }

        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            ModelPullStatus[] missed;
            ModelPullStatus current;
            lock (_lock)
            {
                missed = [.. _stages.Skip(seen)];
                seen = _stages.Count;
                current = _current;
            }

            foreach (var status in missed.Append(current))
            {
                if (!ReferenceEquals(status, last))
                {
                    last = status;
                    yield return status;
                }
            }

            if (ModelPullStages.IsFinal(current.Stage))
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
