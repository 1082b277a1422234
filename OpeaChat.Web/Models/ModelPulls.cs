using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Models;

/// <summary>
/// The model pulls one browser tab shows, and the models it can pull: the recommended ones, pulls started here (their
/// progress read from the pull's stream) and pulls already running in inference (picked up from the list after a
/// reload, and followed by asking it every second). When a pull is ready the model list and the service's state are
/// asked again at once, so the picker offers the new model and the chat opens without a reload.
/// <see cref="Changed"/> says when to draw (it is raised from any thread).
/// </summary>
public sealed partial class ModelPulls(ModelsClient client, GatewayCatalog catalog, ServiceHealthMonitor health, TimeProvider clock, ILogger<ModelPulls> logger)
    : IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private readonly List<ModelPullStatus> _pulls = [];
    private readonly HashSet<string> _followed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _starting = new(StringComparer.OrdinalIgnoreCase);
    private bool _resumed;

    /// <summary>How often a pull this tab cannot stream (picked up after a reload, or whose stream broke) is asked for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public event Action? Changed;

    public IReadOnlyList<RecommendedModel> Recommended { get; private set; } = [];

    public bool RecommendedLoaded { get; private set; }

    /// <summary>The pulls shown: running ones, and ended ones until dismissed.</summary>
    public IReadOnlyList<ModelPullStatus> Pulls
    {
        get
        {
            lock (_gate)
            {
                return [.. _pulls];
            }
        }
    }

    /// <summary>Why the last pull could not start (the gateway's message), until the next attempt.</summary>
    public string? Problem { get; private set; }

    /// <summary>Whether a pull of <paramref name="model"/> is being asked for (before its first progress).</summary>
    public bool IsStarting(string model)
    {
        lock (_gate)
        {
            return _starting.Contains(model);
        }
    }

    /// <summary>A running pull (not ended) of this reference, if any.</summary>
    public ModelPullStatus? RunningFor(string model) =>
        Pulls.FirstOrDefault(pull => !ModelPullStages.IsFinal(pull.Stage) && SameModel(pull.Model, model));

    /// <summary>The last pull of this reference shown here (running or ended), if any.</summary>
    public ModelPullStatus? LatestFor(string model) => Pulls.LastOrDefault(pull => SameModel(pull.Model, model));

    public bool AnyRunning => Pulls.Any(pull => !ModelPullStages.IsFinal(pull.Stage));

    /// <summary>The recommended models (once), and the pulls inference is running (once: after a reload they go on here).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        if (!RecommendedLoaded)
        {
            try
            {
                Recommended = await client.GetRecommendedAsync(linked.Token);
                RecommendedLoaded = true;
            }
            catch (ChatQnAException exception)
            {
                LogListFailed(logger, "recommended models", exception.Message);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                return;
            }
        }

        if (!_resumed)
        {
            _resumed = true;
            try
            {
                foreach (var pull in await client.GetPullsAsync(linked.Token))
                {
                    if (!ModelPullStages.IsFinal(pull.Stage))
                    {
                        Update(pull);
                        _ = PollAsync(pull.Id);
                    }
                }
            }
            catch (ChatQnAException exception)
            {
                _resumed = false;
                LogListFailed(logger, "model pulls", exception.Message);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                _resumed = false;
                return;
            }
        }

        Notify();
    }

    /// <summary>
    /// Pulls <paramref name="model"/>: true once its first progress came (the pull then goes on, followed here while
    /// the tab is open, whether or not a panel shows it), false when it could not start (<see cref="Problem"/> says why).
    /// </summary>
    public Task<bool> StartAsync(string model)
    {
        model = model.Trim();
        if (model.Length == 0)
        {
            Problem = "Enter a model to pull, for example bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M.";
            Notify();
            return Task.FromResult(false);
        }

        if (RunningFor(model) is not null)
        {
            return Task.FromResult(true);
        }

        lock (_gate)
        {
            if (!_starting.Add(model))
            {
                return Task.FromResult(true);
            }
        }

        Problem = null;
        Notify();
        var started = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = FollowAsync(model, started);
        return started.Task;
    }

    /// <summary>Reads a new pull's stream to its end; one that breaks off is followed through the list.</summary>
    private async Task FollowAsync(string model, TaskCompletionSource<bool> started)
    {
        var token = _lifetime.Token;
        string? id = null;
        try
        {
            await foreach (var status in client.PullAsync(model, token))
            {
                if (id is null)
                {
                    id = status.Id;
                    lock (_gate)
                    {
                        _starting.Remove(model);
                        _followed.Add(id);
                    }

                    started.TrySetResult(true);
                    health.CheckNow(); // The service now says it is pulling, with the pull's progress.
                }

                Update(status);
                if (ModelPullStages.IsFinal(status.Stage))
                {
                    await EndedAsync(status);
                    return;
                }
            }
        }
        catch (ChatQnAException exception)
        {
            Problem = exception.Message;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return; // The tab closed; the pull goes on in inference.
        }
        finally
        {
            lock (_gate)
            {
                _starting.Remove(model);
                if (id is not null)
                {
                    _followed.Remove(id);
                }
            }

            started.TrySetResult(id is not null);
            Notify();
        }

        // The stream ended before the pull did (the gateway or inference went away meanwhile): follow it through the list.
        if (id is not null)
        {
            await PollAsync(id);
        }
    }

    /// <summary>Asks inference to stop a pull; the pull's own stream (or the list) then shows it cancelled.</summary>
    public async Task CancelAsync(string id)
    {
        try
        {
            await client.CancelPullAsync(id, _lifetime.Token);
            Problem = null;
        }
        catch (ChatQnAException exception)
        {
            Problem = exception.Message;
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            return;
        }

        // A pull picked up from the list learns of its end at the next poll; one without any follower is ended here.
        lock (_gate)
        {
            if (!_followed.Contains(id) && _pulls.FindIndex(pull => pull.Id == id) is var index and >= 0 && !ModelPullStages.IsFinal(_pulls[index].Stage))
            {
                _pulls[index] = _pulls[index] with { Stage = ModelPullStages.Cancelled };
            }
        }

        Notify();
    }

    /// <summary>
    /// Deletes a model's file (<paramref name="force"/>: even the one loaded or the default), then asks again for the
    /// models and the service's state. <see cref="DeleteOutcome.InUse"/> when inference refused because it is in use.
    /// </summary>
    public async Task<(DeleteOutcome Outcome, string? Message)> DeleteAsync(string id, bool force)
    {
        try
        {
            await client.DeleteModelAsync(id, force, _lifetime.Token);
        }
        catch (ChatQnAException exception) when (exception.StatusCode == System.Net.HttpStatusCode.Conflict && !force)
        {
            return (DeleteOutcome.InUse, exception.Message);
        }
        catch (ChatQnAException exception)
        {
            return (DeleteOutcome.Failed, exception.Message);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            return (DeleteOutcome.Failed, null);
        }

        lock (_gate)
        {
            // Its pull's "ready" no longer holds: the model can be pulled again.
            _pulls.RemoveAll(pull => pull.Id == id && ModelPullStages.IsFinal(pull.Stage));
        }

        await catalog.LoadModelsAsync(_lifetime.Token);
        health.CheckNow();
        Notify();
        return (DeleteOutcome.Deleted, null);
    }

    /// <summary>Stops showing an ended pull.</summary>
    public void Dismiss(string id)
    {
        lock (_gate)
        {
            _pulls.RemoveAll(pull => pull.Id == id && ModelPullStages.IsFinal(pull.Stage));
        }

        Notify();
    }

    public void ClearProblem()
    {
        Problem = null;
        Notify();
    }

    /// <summary>Follows a pull this tab has no stream of, by asking the list, until it ends or the list no longer has it.</summary>
    private async Task PollAsync(string id)
    {
        lock (_gate)
        {
            if (!_followed.Add(id))
            {
                return;
            }
        }

        var token = _lifetime.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(PollInterval, clock, token);
                IReadOnlyList<ModelPullStatus> pulls;
                try
                {
                    pulls = await client.GetPullsAsync(token);
                }
                catch (ChatQnAException exception)
                {
                    LogListFailed(logger, "model pulls", exception.Message);
                    continue; // The gateway may be back at the next poll.
                }

                if (pulls.FirstOrDefault(pull => pull.Id == id) is not { } status)
                {
                    // Gone from the list (ended long ago, or inference restarted): the model list tells the rest.
                    lock (_gate)
                    {
                        _pulls.RemoveAll(pull => pull.Id == id);
                    }

                    await catalog.LoadModelsAsync(token);
                    Notify();
                    return;
                }

                Update(status);
                if (ModelPullStages.IsFinal(status.Stage))
                {
                    await EndedAsync(status);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The tab closed.
        }
        finally
        {
            lock (_gate)
            {
                _followed.Remove(id);
            }
        }
    }

    /// <summary>A ready model is asked for at once: the picker lists it and the page learns the service can answer.</summary>
    private async Task EndedAsync(ModelPullStatus status)
    {
        if (status.Stage == ModelPullStages.Ready)
        {
            await catalog.LoadModelsAsync(_lifetime.Token);
            health.CheckNow();
        }

        Notify();
    }

    private void Update(ModelPullStatus status)
    {
        lock (_gate)
        {
            var index = _pulls.FindIndex(pull => pull.Id == status.Id);
            if (index >= 0)
            {
                _pulls[index] = status;
            }
            else
            {
                _pulls.Add(status);
            }
        }

        Notify();
    }

    /// <summary><c>hf.co/org/repo:Q4_K_M</c> and <c>org/repo:Q4_K_M</c> name the same pull.</summary>
    internal static bool SameModel(string a, string b) => string.Equals(Bare(a), Bare(b), StringComparison.OrdinalIgnoreCase);

    private static string Bare(string reference)
    {
        reference = reference.Trim();
        foreach (var prefix in new[] { "https://huggingface.co/", "https://hf.co/", "huggingface.co/", "hf.co/" })
        {
            if (reference.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return reference[prefix.Length..];
            }
        }

        return reference;
    }

    private void Notify() => Changed?.Invoke();

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not load the {What}: {Reason}")]
    private static partial void LogListFailed(ILogger logger, string what, string reason);
}

/// <summary>How a model's delete went.</summary>
public enum DeleteOutcome
{
    Deleted,

    /// <summary>Inference refused (409): the model is loaded or the default; deleting it needs force.</summary>
    InUse,

    Failed,
}
