using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// What one streamed chunk brings a reply: more text, and (on the first chunk) the sources it is built from. The very
/// first piece of a stored reply carries only <see cref="ReplyId"/>: the gateway's id of the reply, to stop it by.
/// </summary>
public readonly record struct ReplyPiece(string? Text, IReadOnlyList<RetrievedSource>? Sources = null)
{
    public Guid? ReplyId { get; init; }

    public override string ToString() => Text ?? string.Empty;
}
