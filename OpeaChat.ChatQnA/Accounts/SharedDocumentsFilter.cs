using OpeaChat.ChatQnA.Opea;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>
/// Until documents have owners of their own, they are one shared collection: everyone's chats may retrieve from them
/// and anyone may list them, but only admins add or delete.
/// </summary>
public sealed class SharedDocumentsFilter : AdminOnlyFilter
{
    protected override IResult Refusal { get; } =
        new OpeaErrorResult(StatusCodes.Status403Forbidden, "Documents are shared on this gateway: only an admin adds or deletes them.");
}
