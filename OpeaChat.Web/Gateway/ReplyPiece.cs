using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.Web.Gateway;

/// <summary>What one streamed chunk brings a reply: more text, and (on the first chunk) the sources it is built from.</summary>
public readonly record struct ReplyPiece(string? Text, IReadOnlyList<RetrievedSource>? Sources = null)
{
    public override string ToString() => Text ?? string.Empty;
}
