using OpeaChat.ChatQnA.Accounts;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// Whose a document collection is. With accounts on, a person's collection <c>N</c> is stored as <c>N@&lt;account id&gt;</c>,
/// and a shared collection (made or shared by an admin, or written by a service key) as <c>N</c>. Collections from
/// before accounts become the first admin's own when that admin is made.
/// <c>index_name</c> may not hold '@' (<see cref="IndexNames"/>), so nobody can name another person's collection; the
/// stores need no owner column, and their per-collection search indexes stay per person.
/// </summary>
public static class DocumentCollections
{
    private const char OwnerMark = '@';

    /// <summary>Where the caller's collection <paramref name="name"/> is kept: a person's own unless <paramref name="shared"/>.</summary>
    public static string StorageName(string name, Caller? caller, bool shared) =>
        !shared && caller is { IsPerson: true } ? OwnedName(name, caller.OwnerId) : name;

    /// <summary>Where <paramref name="ownerId"/>'s own collection <paramref name="name"/> is kept.</summary>
    public static string OwnedName(string name, string ownerId) => $"{name}{OwnerMark}{ownerId}";

    /// <summary>What a search of <paramref name="name"/> reads: a person's own collection and the shared one of that name.</summary>
    public static IReadOnlyList<string> Searched(string name, Caller? caller) =>
        caller is { IsPerson: true } ? [StorageName(name, caller, shared: false), name] : [name];

    /// <summary>The name people see and send (the stored name without its owner).</summary>
    public static string PublicName(string storageName)
    {
        ArgumentNullException.ThrowIfNull(storageName);
        var mark = storageName.IndexOf(OwnerMark, StringComparison.Ordinal);
        return mark < 0 ? storageName : storageName[..mark];
    }

    public static bool IsShared(string storageName) => OwnerOf(storageName) is null;

    /// <summary>The account that owns a stored collection; null for a shared one.</summary>
    public static string? OwnerOf(string storageName)
    {
        ArgumentNullException.ThrowIfNull(storageName);
        var mark = storageName.IndexOf(OwnerMark, StringComparison.Ordinal);
        return mark < 0 ? null : storageName[(mark + 1)..];
    }

    /// <summary>Whether the caller sees a collection: local mode sees all, a person their own and the shared ones, anyone else the shared.</summary>
    public static bool Visible(string storageName, Caller? caller) =>
        caller is null || IsShared(storageName) || (caller.IsPerson && OwnerOf(storageName) == caller.OwnerId);

    /// <summary>
    /// Whether the caller may add to or delete from a collection: a person their own; admins and service keys (the
    /// operator's scripts) the shared ones; everyone everything in local mode.
    /// </summary>
    public static bool Writable(string storageName, Caller? caller) =>
        caller is null
        || (IsShared(storageName)
            ? caller.Kind == CallerKind.Service || caller is { IsPerson: true, IsAdmin: true }
            : caller.IsPerson && OwnerOf(storageName) == caller.OwnerId);
}
