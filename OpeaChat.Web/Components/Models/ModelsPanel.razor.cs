using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Models;

namespace OpeaChat.Web.Components.Models;

/// <summary>
/// The models drawer: the installed models (size, quantisation, context, what is loaded, the disk they take), delete
/// with a confirmation (a stronger one for the model in use, which then is forced), a pull by name with its progress,
/// and the recommended models.
/// </summary>
public sealed partial class ModelsPanel : IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private string? _name;
    private bool _starting;
    private string? _deleting;
    private bool _force;
    private string? _deleteProblem;
    private string? _problemModel;

    /// <summary>The drawer this panel is shown in (Fluent cascades it), for the close button and Escape.</summary>
    [CascadingParameter]
    public Microsoft.FluentUI.AspNetCore.Components.IDialogInstance? Dialog { get; set; }

    [Inject]
    private ModelPulls Pulls { get; set; } = default!;

    [Inject]
    private Accounts.GatewayCaller Caller { get; set; } = default!;

    [Inject]
    private GatewayCatalog Catalog { get; set; } = default!;

    /// <summary>Pulls running or failed; a ready one is in the models list below.</summary>
    private IReadOnlyList<Contracts.ModelPulls.ModelPullStatus> ShownPulls =>
        [.. Pulls.Pulls.Where(pull => pull.Stage != Contracts.ModelPulls.ModelPullStages.Ready || Catalog.Models.All(model => model.Id != pull.Id))];

    private string DiskText => Catalog.Models.Count == 0 ? string.Empty
        : $"({PullProgress.FormatSize(Catalog.Models.Sum(model => model.FileSize))} on disk)";

    protected override async Task OnInitializedAsync()
    {
        Pulls.Changed += Redraw;
        await Task.WhenAll(Pulls.LoadAsync(_lifetime.Token), Catalog.LoadModelsAsync(_lifetime.Token));
    }

    private void Redraw() => _ = InvokeAsync(StateHasChanged);

    private async Task PullByNameAsync()
    {
        if (_starting)
        {
            return;
        }

        _starting = true;
        try
        {
            // Back once the first progress (or the refusal) came: the pull goes on and draws as it goes.
            if (await Pulls.StartAsync(_name ?? string.Empty))
            {
                _name = null;
            }
        }
        finally
        {
            _starting = false;
        }
    }

    private static bool InUse(ModelInfo model) => model.Loaded || model.Default;

    private static string InUseText(ModelInfo model) => (model.Loaded, model.Default) switch
    {
        (true, true) => "loaded, and the default",
        (true, false) => "loaded",
        _ => "the default",
    };

    private void AskDelete(ModelInfo model)
    {
        _deleting = model.Id;
        _force = InUse(model);
        _deleteProblem = null;
    }

    private void CancelDelete()
    {
        _deleting = null;
        _force = false;
    }

    private async Task ConfirmDeleteAsync(ModelInfo model, bool force)
    {
        var (outcome, message) = await Pulls.DeleteAsync(model.Id, force);
        switch (outcome)
        {
            case DeleteOutcome.InUse:
                // Inference knows better than this list (another tab loaded it): ask again, the stronger way.
                _force = true;
                break;
            case DeleteOutcome.Failed:
                _deleting = null;
                _deleteProblem = message ?? "The model could not be deleted.";
                _problemModel = model.Id;
                break;
            default:
                _deleting = null;
                _force = false;
                break;
        }
    }

    private async Task KeyDown(KeyboardEventArgs key)
    {
        if (key.Key != "Escape")
        {
            return;
        }

        // Escape first cancels a delete being confirmed, then closes the drawer.
        if (_deleting is not null)
        {
            CancelDelete();
            return;
        }

        await CloseAsync();
    }

    private Task CloseAsync() => Dialog?.CloseAsync() ?? Task.CompletedTask;

    public void Dispose()
    {
        Pulls.Changed -= Redraw;
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
