using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Protection;

/// <summary>A body over <c>ChatQnA:MaxRequestBodyBytes</c> gets 413 with a message saying the limit, in the contract's shape.</summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptionsMonitor<ChatQnAOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = options.CurrentValue.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await TooLarge(context, limit).ExecuteAsync(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            await TooLarge(context, limit).ExecuteAsync(context);
        }
    }

    private static IResult TooLarge(HttpContext context, long limit) =>
        ContractErrors.Create(context, StatusCodes.Status413PayloadTooLarge,
            $"The request body is larger than the limit of {limit} bytes (ChatQnA:MaxRequestBodyBytes).", "request_too_large");
}
