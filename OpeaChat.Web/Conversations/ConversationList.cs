using OpeaChat.Contracts.Conversations;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// The sidebar's list of stored conversations for one browser tab (one Blazor circuit), with its search, rename,
/// delete and import. Failures go to <see cref="ChatErrorState"/>; <see cref="Changed"/> and <see cref="Deleted"/>
/// tell the open conversation (<see cref="OpenConversation"/>) about its own record.
/// </summary>
public sealed class ConversationList(ConversationsClient client, ChatErrorState errors)
{
    private int _listVersion;

    /// <summary>The conversations the sidebar shows: all of them, or those that match <see cref="SearchQuery"/>.</summary>
    public IReadOnlyList<ConversationRecord> Items { get; private set; } = [];

    public string? SearchQuery { get; private set; }

    /// <summary>A conversation was changed here (renamed): its new record.</summary>
    public event Action<ConversationRecord>? Changed;

    /// <summary>A conversation was deleted here: its id.</summary>
    public event Action<Guid>? Deleted;

    public bool Contains(Guid id) => Items.Any(conversation => conversation.Id == id);

    public ConversationRecord? Find(Guid? id) => Items.FirstOrDefault(conversation => conversation.Id == id);

    /// <summary>Lists the conversations again (matching <paramref name="query"/>, or all); a failure is shown.</summary>
    public async Task RefreshAsync(string? query = null, CancellationToken cancellationToken = default)
    {
        SearchQuery = string.IsNullOrWhiteSpace(query) ? null : query.Trim();
        var version = ++_listVersion;
        await errors.RunAsync(async () =>
        {
            var found = await client.ListAsync(SearchQuery, cancellationToken);
            if (version == _listVersion)
            {
                Items = found; // An answer to an older search (typed over since) is dropped.
            }
        }, () => RefreshAsync(query, cancellationToken));
    }

    /// <summary>Lists the conversations again with the current search; throws <see cref="ChatQnAException"/>.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default) =>
        Items = await client.ListAsync(SearchQuery, cancellationToken);

    /// <summary>Puts a conversation just created at the top, before the gateway is asked again.</summary>
    public void AddCreated(ConversationRecord conversation) => Items = [conversation, .. Items];

    /// <summary>Shows the title the gateway gave an untitled conversation as it stored its first message.</summary>
    public void ShowStoredTitle(Guid id, string title)
    {
        if (Find(id) is { } untitled && string.IsNullOrWhiteSpace(untitled.Title))
        {
            Replace(untitled with { Title = title });
        }
    }

    /// <summary>Shows the new record of a conversation changed elsewhere (its settings saved).</summary>
    public void Replace(ConversationRecord changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        Items = [.. Items.Select(conversation => conversation.Id == changed.Id ? changed : conversation)];
    }

    public async Task<bool> RenameAsync(Guid id, string title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            return false;
        }

        return await errors.RunAsync(async () =>
        {
            var renamed = await client.RenameAsync(id, title);
            Changed?.Invoke(renamed);
            await ReloadAsync();
        }, () => RenameAsync(id, title));
    }

    public async Task<bool> DeleteAsync(Guid id)
    {
        return await errors.RunAsync(async () =>
        {
            await client.DeleteAsync(id);
            Deleted?.Invoke(id);
            await ReloadAsync();
        }, () => DeleteAsync(id));
    }

    /// <summary>Imports an exported conversation (JSON); null when the gateway refused it (the error says why).</summary>
    public async Task<ConversationRecord?> ImportAsync(Stream json)
    {
        ConversationRecord? imported = null;
        await errors.RunAsync(async () =>
        {
            imported = await client.ImportAsync(json);
            await ReloadAsync();
        }, retry: null);
        return imported;
    }
}
