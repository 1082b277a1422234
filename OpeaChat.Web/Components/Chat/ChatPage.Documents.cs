using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web.Components.Documents;
using OpeaChat.Web.Documents;

namespace OpeaChat.Web.Components.Chat;

/// <summary>The chat page's documents drawer: opened from the header; its failures reach the page's error bar.</summary>
public sealed partial class ChatPage
{
    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private DocumentLibrary Library { get; set; } = default!;

    private bool _documentsOpen;

    /// <summary>The library's failures are shown in this page's error bar, so it redraws with the library.</summary>
    private void WatchDocuments() => Library.Changed += RedrawForDocuments;

    private void UnwatchDocuments() => Library.Changed -= RedrawForDocuments;

    private void RedrawForDocuments() => _ = InvokeAsync(StateHasChanged);

    private async Task OpenDocumentsAsync()
    {
        if (_documentsOpen)
        {
            return;
        }

        _documentsOpen = true;
        try
        {
            // Not modal: the error bar and the chat stay usable beside it; Escape or its close button ends it.
            await Dialogs.ShowDrawerAsync<DocumentsPanel>(options =>
            {
                options.Id = "documents-panel";
                options.Header.Title = "Documents";
                options.Alignment = DialogAlignment.End;
                options.Modal = false;
                options.Width = "min(420px, 100vw)";
                options.OnStateChange = state =>
                {
                    if (state.State == DialogState.Closed)
                    {
                        _documentsOpen = false;
                        _ = InvokeAsync(StateHasChanged);
                    }
                };
            });
        }
        catch
        {
            _documentsOpen = false;
            throw;
        }
    }
}
