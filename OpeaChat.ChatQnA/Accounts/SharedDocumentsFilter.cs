using OpeaChat.ChatQnA.Opea;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>
/// Until documents have owners of their own, they are one shared collection with accounts on: everyone's chats may
/// retrieve from them and anyone may list them, but only admins (and service keys, the operator's scripts) add or
/// delete. In local mode nothing changes.
/// </summary>
public sealed class SharedDocumentsFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        return OwnerScope.Current is not { } caller || caller.Kind == CallerKind.Service || caller is { IsPerson: true, IsAdmin: true }
            ? await next(context)
            : new OpeaErrorResult(StatusCodes.Status403Forbidden, "Documents are shared on this gateway: only an admin adds or deletes them.");
    }
}
