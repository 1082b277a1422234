using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// A reply's sources as numbered citations [1], [2] … in the gateway's order (the numbers the model was given);
/// activating one opens the cited chunk.
/// </summary>
public sealed partial class MessageCitations
{
    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Parameter, EditorRequired]
    public IReadOnlyList<RetrievedSource> Sources { get; set; } = [];

    /// <summary>Makes the buttons' ids unique on the page (the reply's id, or its place while it streams).</summary>
    [Parameter]
    public string Scope { get; set; } = "reply";

    private string CitationId(int number) => CitationId(Scope, number);

    /// <summary>The id of citation <paramref name="number"/>'s button in <paramref name="scope"/> (the reply's inline markers point at it).</summary>
    public static string CitationId(string scope, int number) => $"citation-{scope}-{number}";

    private async Task OpenAsync(int number, RetrievedSource source)
    {
        await Dialogs.ShowDialogAsync<CitationDialog>(options =>
        {
            options.Id = "citation-dialog";
            options.Header.Title = $"Source [{number}]";
            options.Width = "min(640px, 95vw)";
            options.Parameters[nameof(CitationDialog.Source)] = source;
        });
    }
}
