namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// Turns a refused store operation (<see cref="ConversationStoreException"/>) into the error shape of the endpoint's
/// contract, once per route group instead of a catch block per endpoint. Nothing was written: the store checks
/// before it changes anything.
/// </summary>
public sealed class StoreErrorFilter(Func<ConversationStoreException, IResult> toResult) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context);
        }
        catch (ConversationStoreException exception)
        {
            return toResult(exception);
        }
    }
}

public static class StoreErrorFilterExtensions
{
    /// <summary>Store refusals in OPEA's (FastAPI's) shape: 404, 403, 409 or 422 with <c>detail</c>.</summary>
    public static RouteGroupBuilder WithOpeaStoreErrors(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(new StoreErrorFilter(static exception => exception.ToResult()));

    /// <summary>Store refusals in the given shape (OpenAI's <c>{"error": …}</c> on the OpenAI door).</summary>
    public static RouteGroupBuilder WithStoreErrors(this RouteGroupBuilder group, Func<ConversationStoreException, IResult> toResult) =>
        group.AddEndpointFilter(new StoreErrorFilter(toResult));
}
