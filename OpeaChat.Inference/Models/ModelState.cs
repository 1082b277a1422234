namespace OpeaChat.Inference.Models;

public enum ModelStatus
{
    NoModel,
    NotLoaded,
    Loading,
    Ready,
    Failed,
}

/// <summary>What a model can do right now; <see cref="Message"/> tells a person what is wrong and what to do.</summary>
public sealed record ModelState(ModelStatus Status, string? ModelId, string? Message, double Progress);
