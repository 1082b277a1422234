using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>
/// With accounts on, pulling and deleting models changes the server for everyone, so only admins (and service keys,
/// the operator's scripts) may; members still see the models, the pulls and the recommendations. In local mode
/// nothing changes.
/// </summary>
public sealed class ModelAdminFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        return OwnerScope.Current is not { } caller || caller.Kind == CallerKind.Service || caller is { IsPerson: true, IsAdmin: true }
            ? await next(context)
            : new OpenAiErrorResult(StatusCodes.Status403Forbidden, new ErrorBody
            {
                Message = "Only an admin pulls or deletes models on this server.",
                Type = "invalid_request_error",
                Code = "admin_only",
            });
    }
}
