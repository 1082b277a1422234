using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Dataprep;

namespace OpeaChat.ChatQnA.Protection;

/// <summary>
/// A body over <c>ChatQnA:MaxRequestBodyBytes</c> (for document uploads <c>ChatQnA:Dataprep:MaxRequestBytes</c>, for
/// conversation imports <c>ChatQnA:MaxImportBytes</c>)
/// gets 413 with a message saying the limit, in the contract's shape.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptionsMonitor<ChatQnAOptions> options, IOptionsMonitor<DataprepOptions> dataprep,
    IOptionsMonitor<Data.ConversationStorageOptions> conversations)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var (limit, setting) = context.Request.Path.StartsWithSegments(DataprepEndpoints.IngestPath, StringComparison.OrdinalIgnoreCase)
            ? (dataprep.CurrentValue.MaxRequestBytes, "ChatQnA:Dataprep:MaxRequestBytes")
            : context.Request.Path.Equals(Conversations.ConversationsEndpoints.ImportPath, StringComparison.OrdinalIgnoreCase)
                ? (conversations.CurrentValue.MaxImportBytes, "ChatQnA:MaxImportBytes")
                : (options.CurrentValue.MaxRequestBodyBytes, "ChatQnA:MaxRequestBodyBytes");
        if (context.Request.ContentLength > limit)
        {
            await TooLarge(context, limit, setting).ExecuteAsync(context);
            return;
        }

        // Kestrel's own limit is the general one; an upload gets its larger one here.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            await TooLarge(context, limit, setting).ExecuteAsync(context);
        }
        catch (InvalidDataException) when (!context.Response.HasStarted && context.Request.HasFormContentType)
        {
            // A multipart body over the form reader's length limit.
            await TooLarge(context, limit, setting).ExecuteAsync(context);
        }
    }

    private static IResult TooLarge(HttpContext context, long limit, string setting) =>
        ContractErrors.Create(context, StatusCodes.Status413PayloadTooLarge,
            $"The request body is larger than the limit of {limit} bytes ({setting}).", "request_too_large");
}
