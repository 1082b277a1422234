using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components.Web;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Chat;

/// <summary>The conversation list (newest first, grouped by day) with search, new chat, rename, delete, export and import.</summary>
public sealed partial class ConversationSidebar
{
    private string? _search;
    private Guid? _renamingId;
    private string? _renameText;
    private Guid? _deletingId;

    [Parameter, EditorRequired]
    public IReadOnlyList<ConversationRecord> Conversations { get; set; } = [];

    [Parameter]
    public Guid? ActiveId { get; set; }

    [Parameter]
    public bool IsBusy { get; set; }

    [Parameter]
    public EventCallback OnNew { get; set; }

    [Parameter]
    public EventCallback<string> OnSearch { get; set; }

    [Parameter]
    public EventCallback<(Guid Id, string Title)> OnRename { get; set; }

    [Parameter]
    public EventCallback<Guid> OnDelete { get; set; }

    [Parameter]
    public EventCallback<IBrowserFile> OnImport { get; set; }

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    private IEnumerable<IGrouping<string, ConversationRecord>> Groups
    {
        get
        {
            var today = TimeZone.Today(Clock);
            return Conversations
                .OrderByDescending(conversation => conversation.UpdatedAt)
                .GroupBy(conversation => DayLabel(TimeZone.ToLocal(conversation.UpdatedAt).Date, today));
        }
    }

    /// <summary>The group a day falls in, seen from <paramref name="today"/> (both in the person's time zone).</summary>
    public static string DayLabel(DateTime day, DateTime today)
    {
        return day == today ? "Today"
            : day == today.AddDays(-1) ? "Yesterday"
            : day > today.AddDays(-7) ? "Previous 7 days"
            : day.ToString("MMMM yyyy", CultureInfo.InvariantCulture);
    }

    private async Task SearchInputAsync(ChangeEventArgs e)
    {
        _search = e.Value?.ToString();
        await OnSearch.InvokeAsync(_search ?? string.Empty);
    }

    private void StartRename(ConversationRecord conversation)
    {
        _deletingId = null;
        _renamingId = conversation.Id;
        _renameText = conversation.Title ?? string.Empty;
    }

    private async Task RenameKeyAsync(KeyboardEventArgs e, Guid id)
    {
        if (e.Key == "Enter")
        {
            await SaveRenameAsync(id);
        }
        else if (e.Key == "Escape")
        {
            _renamingId = null;
        }
    }

    private async Task SaveRenameAsync(Guid id)
    {
        var title = _renameText?.Trim();
        _renamingId = null;
        if (!string.IsNullOrEmpty(title))
        {
            await OnRename.InvokeAsync((id, title));
        }
    }

    private async Task ConfirmDeleteAsync(Guid id)
    {
        _deletingId = null;
        await OnDelete.InvokeAsync(id);
    }

    private async Task ImportChangedAsync(InputFileChangeEventArgs e) => await OnImport.InvokeAsync(e.File);
}
