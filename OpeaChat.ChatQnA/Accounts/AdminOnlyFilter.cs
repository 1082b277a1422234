namespace OpeaChat.ChatQnA.Accounts;

/// <summary>
/// With accounts on, some writes change the server for everyone, so only admins (and service keys, the operator's
/// scripts) may make them; everyone else gets the refusal in the endpoint's own contract. In local mode there is no
/// caller and nothing changes.
/// </summary>
public abstract class AdminOnlyFilter : IEndpointFilter
{
    /// <summary>What a member is told, in the shape of the endpoint's contract.</summary>
    protected abstract IResult Refusal { get; }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        return OwnerScope.Current is not { } caller || caller.Kind == CallerKind.Service || caller is { IsPerson: true, IsAdmin: true }
            ? await next(context)
            : Refusal;
    }
}
