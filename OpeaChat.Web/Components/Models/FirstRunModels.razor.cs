using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Web.Models;

namespace OpeaChat.Web.Components.Models;

/// <summary>
/// The chat page with no model at all: the recommended models to pull, with their progress. The page shows it while
/// the service says there is no model; once a pulled model is loaded the chat takes its place.
/// </summary>
public sealed partial class FirstRunModels : IDisposable
{
    [Inject]
    private ModelPulls Pulls { get; set; } = default!;

    [Inject]
    private Accounts.GatewayCaller Caller { get; set; } = default!;

    // Drawn from the pulls' own changes: a parent that redraws does not redraw a child without parameters.
    protected override void OnInitialized() => Pulls.Changed += Redraw;

    private void Redraw() => _ = InvokeAsync(StateHasChanged);

    public void Dispose() => Pulls.Changed -= Redraw;

    /// <summary>Pulls of models that are not on the recommended list (started by name in the models panel).</summary>
    private IEnumerable<ModelPullStatus> Others =>
        Pulls.Pulls.Where(pull => !Pulls.Recommended.Any(model => ModelPulls.SameModel(model.Model, pull.Model)));
}
