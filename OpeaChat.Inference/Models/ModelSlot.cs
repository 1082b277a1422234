using System.Diagnostics;

namespace OpeaChat.Inference.Models;

/// <summary>One model's place in the loaded set: its load (running, done or failed), progress and last use.</summary>
internal sealed class ModelSlot(ModelFile file)
{
    public ModelFile File { get; } = file;

    public Task<LoadedModel> Loading { get; set; } = Task.FromException<LoadedModel>(new InvalidOperationException("Not started."));

    /// <summary>The fraction of the file loaded, 0 to 1.</summary>
    public double Progress { get; set; }

    /// <summary>When a request last used the model (a <see cref="Stopwatch"/> timestamp), for unloading the least recently used.</summary>
    public long LastUsed { get; private set; } = Stopwatch.GetTimestamp();

    /// <summary>What a person should know and do when the load failed.</summary>
    public string? FailureMessage { get; set; }

    public void Touch() => LastUsed = Stopwatch.GetTimestamp();

    public ModelState State
    {
        get
        {
            var id = File.Id;
            if (!Loading.IsCompleted)
            {
                return new ModelState(ModelStatus.Loading, id, $"The model {id} is loading ({Progress:P0}).", Progress);
            }

            return Loading.IsCompletedSuccessfully
                ? new ModelState(ModelStatus.Ready, id, null, 1)
                : new ModelState(ModelStatus.Failed, id, FailureMessage, 0);
        }
    }
}
