using OpeaChat.ChatQnA.Data;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// Turns a refused store operation (<see cref="ConversationStoreException"/>) into the error shape of the endpoint's
/// contract, once per route group instead of a catch block per endpoint. Nothing was written: the store checks
/// before it changes anything. A database out of space (507) or read-only (503) is refused the same way, not left to an empty 500.
/// </summary>
public sealed class StoreErrorFilter(Func<ConversationStoreException, IResult> toResult) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context);
        }
        catch (ConversationStoreException exception)
        {
            return toResult(exception);
        }
        catch (Exception exception) when (ConversationsStorageMonitor.ProblemOf(exception) is not StorageProblem.None and var problem)
        {
            context.HttpContext.RequestServices.GetRequiredService<ConversationsStorageMonitor>().Observe(exception);
            return toResult(Unwritable(problem));
        }
    }

    /// <summary>The refusal for a write the database had no room for; nothing of it was kept.</summary>
    /// <summary>The refusal for a write the database could not take (<see cref="StorageProblem.Full"/> or read-only).</summary>
    public static ConversationStoreException Unwritable(StorageProblem problem) => problem == StorageProblem.ReadOnly
        ? new(ConversationStoreError.StorageReadOnly, "The conversation database is read-only, so nothing was saved; try again once it takes writes.", null, "storage_read_only")
        : StorageFull();

    public static ConversationStoreException StorageFull() =>
        new(ConversationStoreError.StorageFull, "The conversation database is out of space, so nothing was saved; try again once space is freed.", null, "storage_full");
}

public static class StoreErrorFilterExtensions
{
    /// <summary>Store refusals in OPEA's (FastAPI's) shape: 404, 403, 409, 422 or 507 with <c>detail</c>.</summary>
    public static RouteGroupBuilder WithOpeaStoreErrors(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(new StoreErrorFilter(static exception => exception.ToResult()));

    /// <summary>Store refusals in the given shape (OpenAI's <c>{"error": …}</c> on the OpenAI door).</summary>
    public static RouteGroupBuilder WithStoreErrors(this RouteGroupBuilder group, Func<ConversationStoreException, IResult> toResult) =>
        group.AddEndpointFilter(new StoreErrorFilter(toResult));
}
