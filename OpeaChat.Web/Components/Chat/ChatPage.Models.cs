using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web.Components.Models;
using OpeaChat.Web.Gateway;
using OpeaChat.Web.Models;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// The chat page's models: with no model at all it offers the recommended ones to pull (<see cref="FirstRunModels"/>);
/// the models drawer opens from the header. A pull ready refreshes the picker and the service's state (ModelPulls), so
/// the page redraws with them.
/// </summary>
public sealed partial class ChatPage
{
    [Inject]
    private ModelPulls Pulls { get; set; } = default!;

    private bool _modelsOpen;

    /// <summary>No model at all (or only one being pulled): the page offers to pull one, and there is nothing to send to yet.</summary>
    private bool NoModel => Health is { State: GatewayState.NoModel or GatewayState.Pulling };

    private void WatchPulls() => Pulls.Changed += RedrawForPulls;

    private void UnwatchPulls() => Pulls.Changed -= RedrawForPulls;

    private void RedrawForPulls() => _ = InvokeAsync(StateHasChanged);

    /// <summary>The recommended models, and a pull still running from before a reload (it goes on showing here).</summary>
    private Task LoadPullsAsync(CancellationToken cancellationToken) => Pulls.LoadAsync(cancellationToken);

    private async Task OpenModelsAsync()
    {
        if (_modelsOpen)
        {
            return;
        }

        _modelsOpen = true;
        try
        {
            // Not modal, as the documents drawer: the chat stays usable beside it.
            await Dialogs.ShowDrawerAsync<ModelsPanel>(options =>
            {
                options.Id = "models-panel";
                options.Header.Title = "Models";
                options.Alignment = DialogAlignment.End;
                options.Modal = false;
                options.Width = "min(460px, 100vw)";
                options.OnStateChange = state =>
                {
                    if (state.State == DialogState.Closed)
                    {
                        _modelsOpen = false;
                        _ = InvokeAsync(StateHasChanged);
                    }
                };
            });
        }
        catch
        {
            _modelsOpen = false;
            throw;
        }
    }
}
