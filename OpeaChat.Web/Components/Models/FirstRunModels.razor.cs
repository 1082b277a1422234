using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Web.Models;

namespace OpeaChat.Web.Components.Models;

/// <summary>
/// The chat page with no model at all: the recommended models to pull, with their progress. The page shows it while
/// the service says there is no model; once a pulled model is loaded the chat takes its place.
/// </summary>
public sealed partial class FirstRunModels
{
    [Inject]
    private ModelPulls Pulls { get; set; } = default!;

    /// <summary>Pulls of models that are not on the recommended list (started by name in the models panel).</summary>
    private IEnumerable<ModelPullStatus> Others =>
        Pulls.Pulls.Where(pull => !Pulls.Recommended.Any(model => ModelPulls.SameModel(model.Model, pull.Model)));
}
