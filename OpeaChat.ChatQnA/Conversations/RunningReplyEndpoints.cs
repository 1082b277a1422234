using Microsoft.AspNetCore.Http.HttpResults;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Opea;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// A reply the gateway is generating, by its stored message id: follow it from the text so far (a reloaded page or a
/// second tab), or stop it (the only thing that stops a reply started with <c>continue_on_disconnect</c>).
/// </summary>
public static partial class RunningReplyEndpoints
{
    public static IEndpointRouteBuilder MapRunningReplyEndpoints(this IEndpointRouteBuilder app)
    {
        var replies = app.MapGroup("/v1/conversations/{conversationId:guid}/messages/{messageId:guid}").WithTags("Conversations").WithOpeaStoreErrors();
        replies.MapGet("/stream", Follow)
            .WithName("FollowRunningReply")
            .WithSummary("The reply being generated: its text so far as one chunk, then each new chunk, in OpenAI's streaming format.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces<Contracts.Opea.OpeaErrorDetail>(StatusCodes.Status404NotFound)
            .Produces<Contracts.Opea.OpeaErrorDetail>(StatusCodes.Status409Conflict);
        replies.MapPost("/stop", StopAsync)
            .WithName("StopRunningReply")
            .WithSummary("Stops the reply being generated; it is saved as stopped before this answers.")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<Contracts.Opea.OpeaErrorDetail>(StatusCodes.Status404NotFound)
            .Produces<Contracts.Opea.OpeaErrorDetail>(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> Follow(Guid conversationId, Guid messageId, RunningReplies running, ConversationStore store, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        // Replies run in memory, keyed by ids alone: someone else's conversation is refused before they are looked at.
        if (!await IsCallersAsync(conversationId, store, cancellationToken) || running.Find(conversationId, messageId) is not { } reply)
        {
            return await NotRunningAsync(conversationId, messageId, store, cancellationToken);
        }

        return new OpenAiEndpoints.OpenAiStreamResult(reply, includeUsage: true, reply.Sources, loggerFactory.CreateLogger(typeof(RunningReplyEndpoints)), fromStart: false);
    }

    private static async Task<IResult> StopAsync(Guid conversationId, Guid messageId, RunningReplies running, ConversationStore store, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!await IsCallersAsync(conversationId, store, cancellationToken) || running.Find(conversationId, messageId) is not { } reply)
        {
            return await NotRunningAsync(conversationId, messageId, store, cancellationToken);
        }

        LogStopRequested(loggerFactory.CreateLogger(typeof(RunningReplyEndpoints)), conversationId, messageId);
        await reply.StopAsync();
        return TypedResults.NoContent();
    }

    /// <summary>In local mode every conversation is; with accounts, only the caller's own (the store filters by owner).</summary>
    private static async Task<bool> IsCallersAsync(Guid conversationId, ConversationStore store, CancellationToken cancellationToken) =>
        Accounts.OwnerScope.Current is null || await store.GetAsync(conversationId, cancellationToken) is not null;

    /// <summary>404 for an unknown conversation; 409 for a message that is not being generated here (ended, or never a reply).</summary>
    private static async Task<IResult> NotRunningAsync(Guid conversationId, Guid messageId, ConversationStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(conversationId, cancellationToken) is null
            ? new OpeaErrorResult(StatusCodes.Status404NotFound, $"Conversation {conversationId} not found.")
            : new OpeaErrorResult(StatusCodes.Status409Conflict,
                $"Message {messageId} of conversation {conversationId} is not a reply being generated now; read it from /v1/conversations/{conversationId}/messages.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping the reply {MessageId} of conversation {ConversationId} on request")]
    private static partial void LogStopRequested(ILogger logger, Guid conversationId, Guid messageId);
}
