namespace OpeaChat.Contracts.Accounts;

/// <summary>
/// Headers the web frontend sends with its forwarder key, naming whom a call is for. The gateway trusts them only
/// with that key (docs/security.md, "Who a request is").
/// </summary>
public static class ForwardedHeaders
{
    /// <summary>The signed-in person's account id.</summary>
    public const string User = "OpeaChat-User";

    /// <summary>The session stamp from the person's sign-in; an old one (the password changed since) is refused.</summary>
    public const string Session = "OpeaChat-Session";

    /// <summary>One browser tab's opaque id, for the rate limiter when nobody is signed in (local mode).</summary>
    public const string Client = "OpeaChat-Client";

    /// <summary>
    /// On the gateway's answer, not the request: the code of its refusal of the named person (<see cref="InvalidUser"/>,
    /// <see cref="PersonRequired"/>). Paths that answer in OPEA's shape (<c>{"detail"}</c>) have no code in the body, and the
    /// web needs it to tell a session that ended from any other refusal.
    /// </summary>
    public const string Refusal = "OpeaChat-Refusal";

    /// <summary>Refusal (401): the named account does not exist, is locked or unapproved, or its session stamp is old.</summary>
    public const string InvalidUser = "invalid_user";

    /// <summary>Refusal (401): with accounts on, the forwarder key named nobody on a data call.</summary>
    public const string PersonRequired = "person_required";
}
