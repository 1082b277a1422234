using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components.Web;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Web.Conversations;
using OpeaChat.Web.Documents;

namespace OpeaChat.Web.Components.Documents;

/// <summary>
/// The documents drawer: whether the open chat answers from documents and from which collection (saved with the
/// chat's settings), upload by drop or picker, links, and the collection's documents with their ingestion progress.
/// </summary>
public sealed partial class DocumentsPanel : IDisposable
{
    /// <summary>The formats the gateway's dataprep reads; the picker offers them first.</summary>
    private const string Accept = ".txt,.md,.markdown,.html,.htm,.pdf,.docx,.csv,.json,.jsonl";

    private const int MaxFilesAtOnce = 20;

    private readonly CancellationTokenSource _lifetime = new();
    private bool _useDocuments;
    private string _collection = string.Empty;
    private string? _links;
    private bool _addingLinks;
    private bool _dragging;
    private string? _deletingId;
    private bool _confirmingShare;

    /// <summary>The drawer this panel is shown in (Fluent cascades it), for the close button and Escape.</summary>
    [CascadingParameter]
    public Microsoft.FluentUI.AspNetCore.Components.IDialogInstance? Dialog { get; set; }

    [Inject]
    private DocumentLibrary Library { get; set; } = default!;

    [Inject]
    private Accounts.GatewayCaller Caller { get; set; } = default!;

    [Inject]
    private OpenConversation Open { get; set; } = default!;

    private string ChoiceText => _useDocuments
        ? $"Answers in this chat come from the documents in “{Library.Collection}”, with their sources."
        : "Answers in this chat do not use your documents.";

    protected override async Task OnInitializedAsync()
    {
        Library.Changed += Redraw;
        var choice = Open.Documents;
        _useDocuments = choice.UseDocuments;
        _collection = choice.Collection;
        await Library.ShowAsync(_collection, _lifetime.Token);
    }

    private void Redraw() => _ = InvokeAsync(StateHasChanged);

    private Task<bool> SaveChoiceAsync() =>
        Open.SaveDocumentsAsync(new DocumentChoice(_useDocuments, _collection), _lifetime.Token);

    private async Task CollectionChangedAsync(ChangeEventArgs change)
    {
        var name = change.Value?.ToString()?.Trim();
        _collection = string.IsNullOrEmpty(name) ? DocumentChoice.None.Collection : name;
        await SaveChoiceAsync();
        await Library.ShowAsync(_collection, _lifetime.Token);
    }

    private async Task FilesChosenAsync(InputFileChangeEventArgs change)
    {
        _dragging = false;
        var files = change.GetMultipleFiles(MaxFilesAtOnce);
        await Library.UploadAsync(files, _lifetime.Token);
    }

    private async Task AddLinksAsync()
    {
        _addingLinks = true;
        try
        {
            // Refused links stay in the box, to correct and send again.
            if (await Library.AddLinksAsync(_links, _lifetime.Token))
            {
                _links = null;
            }
        }
        finally
        {
            _addingLinks = false;
        }
    }

    private async Task ConfirmDeleteAsync(DataprepFile file)
    {
        _deletingId = null;
        await Library.DeleteAsync(file, _lifetime.Token);
    }

    private async Task ConfirmShareAsync()
    {
        _confirmingShare = false;
        await Library.ShareCollectionAsync(_lifetime.Token);
    }

    private async Task KeyDown(KeyboardEventArgs key)
    {
        if (key.Key != "Escape")
        {
            return;
        }

        // Escape first cancels a delete being confirmed, then closes the drawer.
        if (_deletingId is not null || _confirmingShare)
        {
            _deletingId = null;
            _confirmingShare = false;
            return;
        }

        await CloseAsync();
    }

    private Task CloseAsync() => Dialog?.CloseAsync() ?? Task.CompletedTask;

    private static string StatusLabel(string status) => status switch
    {
        DocumentStatuses.Queued => "Queued",
        DocumentStatuses.Parsed => "Parsed",
        DocumentStatuses.Chunked => "Chunked",
        DocumentStatuses.Embedded => "Embedded",
        DocumentStatuses.Searchable => "Searchable",
        DocumentStatuses.Failed => "Failed",
        _ => status,
    };

    /// <summary>How far along ingestion is, for the bar; null once it is finished.</summary>
    private static int? Progress(string status) => status switch
    {
        DocumentStatuses.Queued => 10,
        DocumentStatuses.Parsed => 35,
        DocumentStatuses.Chunked => 60,
        DocumentStatuses.Embedded => 85,
        _ => null,
    };

    private static string ChunkText(int chunks) => chunks == 1 ? "1 chunk" : $"{chunks} chunks";

    public void Dispose()
    {
        Library.Changed -= Redraw;
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
