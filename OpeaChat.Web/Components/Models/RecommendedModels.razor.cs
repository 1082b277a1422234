using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Models;

namespace OpeaChat.Web.Components.Models;

/// <summary>The recommended models (name, what for, download size, memory need, licence), each with Pull, and its progress while it pulls.</summary>
public sealed partial class RecommendedModels : IDisposable
{
    [Inject]
    private ModelPulls Pulls { get; set; } = default!;

    [Inject]
    private GatewayCatalog Catalog { get; set; } = default!;

    /// <summary>Pulled here and listed by the gateway: nothing to pull (a deleted one can be pulled again).</summary>
    private bool Installed(RecommendedModel model) =>
        Pulls.LatestFor(model.Model) is { Stage: ModelPullStages.Ready } pull && Catalog.Models.Any(installed => installed.Id == pull.Id);

    // Drawn from the pulls' own changes: a parent that redraws does not redraw a child without parameters.
    protected override void OnInitialized() => Pulls.Changed += Redraw;

    private void Redraw() => _ = InvokeAsync(StateHasChanged);

    public void Dispose() => Pulls.Changed -= Redraw;

    // Returns at the first progress; the pull goes on and draws through ModelPulls.Changed.
    private Task PullAsync(RecommendedModel model) => Pulls.StartAsync(model.Model);

    private static string PurposeText(string purpose) => purpose switch
    {
        "chat" => "Chat",
        "embeddings" => "Embeddings (documents)",
        _ => purpose,
    };
}
