namespace OpeaChat.ChatQnA.Accounts;

/// <summary>How the caller of one request was recognised.</summary>
public enum CallerKind
{
    /// <summary>The web frontend's forwarder key without a signed-in person (it may check passwords, sign people up).</summary>
    Forwarder,

    /// <summary>A configured service key (<c>ChatQnA:ApiKeys</c>): acts in the shared service space.</summary>
    Service,

    /// <summary>A person: the forwarder's <c>OpeaChat-User</c> header, or a personal key.</summary>
    Person,

    /// <summary>No key matched anything the gateway knows (only reachable when the gateway is open).</summary>
    Anonymous,
}

/// <summary>
/// Who one request acts for, with accounts on. <see cref="OwnerId"/> is the value written to and filtered on in every
/// owner column; services share <see cref="ServiceOwnerId"/>.
/// </summary>
public sealed record Caller(CallerKind Kind, string OwnerId, bool IsAdmin, bool ViaPersonalKey = false)
{
    public const string ServiceOwnerId = "service";

    /// <summary>Matches no row: an unrecognised caller sees nothing and what it makes is nobody's.</summary>
    public const string NobodyOwnerId = "nobody";

    public bool IsPerson => Kind == CallerKind.Person;
}

/// <summary>
/// The caller of the running request, for the stores' query filters (<see cref="Data.ConversationsDbContext"/>).
/// Async-local, as <c>IHttpContextAccessor</c> is: set once by the key middleware and seen by every context the
/// request creates, including those of singleton stores. Null means "no owners": local mode and start-up work.
/// </summary>
public static class OwnerScope
{
    private static readonly AsyncLocal<Caller?> CurrentCaller = new();

    public static Caller? Current
    {
        get => CurrentCaller.Value;
        set => CurrentCaller.Value = value;
    }
}
