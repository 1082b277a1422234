using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// <c>/v1/conversations</c>: conversations that persist, their message trees, export and import. Generating replies
/// (chat and regenerate) lives with the chat endpoints, which call <see cref="ChatMemory"/>.
/// </summary>
public static class ConversationsEndpoints
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>Imports take a larger body than other requests (<c>ChatQnA:MaxImportBytes</c>).</summary>
    public const string ImportPath = "/v1/conversations/import";

    /// <summary>For export files: indented, and non-ASCII text kept readable (the file is not embedded in HTML).</summary>
    private static readonly ConversationsJsonContext s_exportJson = new(new JsonSerializerOptions(ConversationsJsonContext.Default.Options)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static IEndpointRouteBuilder MapConversationEndpoints(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/v1/conversations").WithTags("Conversations").WithOpeaStoreErrors();
        conversations.MapGet("/", ListAsync).WithName("ListConversations")
            .WithSummary("Conversations, most recently updated first; q searches titles and messages.");
        conversations.MapPost("/", CreateAsync).WithName("CreateConversation")
            .WithSummary("Start a conversation with its settings.");
        conversations.MapPost("/import", ImportAsync).WithName("ImportConversation")
            .WithSummary("Create a conversation from a JSON export.");
        conversations.MapGet("/{conversationId:guid}", GetAsync).WithName("GetConversation");
        conversations.MapPatch("/{conversationId:guid}", UpdateAsync).WithName("UpdateConversation")
            .WithSummary("Change settings: fields sent are set (null clears), others are kept.");
        conversations.MapDelete("/{conversationId:guid}", DeleteAsync).WithName("DeleteConversation");
        conversations.MapGet("/{conversationId:guid}/messages", GetMessagesAsync).WithName("GetConversationMessages")
            .WithSummary("The active branch, root first, with each message's siblings.");
        conversations.MapPatch("/{conversationId:guid}/messages/{messageId:guid}", EditMessageAsync).WithName("EditConversationMessage")
            .WithSummary("Edit a user message: a new branch with the new text (the old one is kept).");
        conversations.MapPost("/{conversationId:guid}/messages/{messageId:guid}/activate", ActivateAsync).WithName("ActivateConversationBranch")
            .WithSummary("Switch to the branch through this message.");
        conversations.MapGet("/{conversationId:guid}/export", ExportAsync).WithName("ExportConversation")
            .WithSummary("Download as JSON (the whole tree, for import) or Markdown (the active branch).");

        // What the {conversationId:guid} routes leave: FastAPI answers a malformed id in the path with 422, not 404.
        conversations.Map("/{conversationId}/{**rest}", MalformedPath).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// A path under <c>/v1/conversations/{id}</c> that no route took: 422 naming a malformed id, 405 for a known path
    /// with another method, 404 otherwise.
    /// </summary>
    private static IResult MalformedPath(string conversationId, string? rest)
    {
        if (!Guid.TryParse(conversationId, out _))
        {
            return ConversationErrors.MalformedId("conversation_id", conversationId);
        }

        var segments = (rest ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["messages", var messageId, ..] && !Guid.TryParse(messageId, out _))
        {
            return ConversationErrors.MalformedId("message_id", messageId);
        }

        return segments is [] or ["messages"] or ["export"] or ["messages", _] or ["messages", _, "activate" or "regenerate"]
            ? new OpeaErrorResult(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed")
            : new OpeaErrorResult(StatusCodes.Status404NotFound, "Not Found");
    }

    private static async Task<IResult> ListAsync(ConversationStore store, string? q, string? limit, string? offset, CancellationToken cancellationToken)
    {
        if (!TryParseQuery(limit, "limit", DefaultPageSize, 1, MaxPageSize, out var take, out var error)
            || !TryParseQuery(offset, "offset", 0, 0, int.MaxValue, out var skip, out error))
        {
            return error!;
        }

        var page = await store.ListAsync(q, take, skip, cancellationToken);
        return TypedResults.Json(page, ConversationsJsonContext.Default.ConversationPage);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, ConversationStore store, CancellationToken cancellationToken)
    {
        var (settings, error) = await ConversationErrors.ReadBodyAsync(request, ConversationsJsonContext.Default.ConversationSettings, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (ConversationValidation.Check(settings!) is { } problem)
        {
            return ConversationErrors.Invalid(problem);
        }

        var conversation = await store.CreateAsync(settings!, cancellationToken);
        return Created(request, conversation);
    }

    private static async Task<Results<JsonHttpResult<ConversationRecord>, OpeaErrorResult>> GetAsync(Guid conversationId, ConversationStore store, CancellationToken cancellationToken)
    {
        return await store.GetAsync(conversationId, cancellationToken) is { } conversation
            ? TypedResults.Json(conversation, ConversationsJsonContext.Default.ConversationRecord)
            : NotFound(conversationId);
    }

    private static async Task<IResult> UpdateAsync(Guid conversationId, HttpRequest request, ConversationStore store, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ConversationErrors.ReadBodyAsync(request, ConversationsJsonContext.Default.JsonElement, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        ConversationSettings settings;
        try
        {
            settings = body.Deserialize(ConversationsJsonContext.Default.ConversationSettings)!;
        }
        catch (JsonException exception)
        {
            return ConversationErrors.FromJsonException(exception);
        }

        bool Sent(string field) => body.TryGetProperty(field, out _);
        if (ConversationValidation.Check(settings, Sent) is { } problem)
        {
            return ConversationErrors.Invalid(problem);
        }

        var changes = new ConversationChanges
        {
            Title = Sent("title") ? new(settings.Title) : null,
            SystemPrompt = Sent("system_prompt") ? new(settings.SystemPrompt) : null,
            Model = Sent("model") ? new(settings.Model) : null,
            PromptId = Sent("prompt_id") ? new(settings.PromptId) : null,
            Variables = Sent("variables") ? new(settings.Variables) : null,
            Temperature = Sent("temperature") ? new(settings.Temperature) : null,
            TopP = Sent("top_p") ? new(settings.TopP) : null,
            MaxTokens = Sent("max_tokens") ? new(settings.MaxTokens) : null,
            Seed = Sent("seed") ? new(settings.Seed) : null,
            UseDocuments = Sent("use_documents") ? new(settings.UseDocuments) : null,
            IndexName = Sent("index_name") ? new(settings.IndexName) : null,
        };

        var conversation = await store.UpdateAsync(conversationId, changes, cancellationToken);
        return TypedResults.Json(conversation, ConversationsJsonContext.Default.ConversationRecord);
    }

    private static async Task<Results<NoContent, OpeaErrorResult>> DeleteAsync(Guid conversationId, ConversationStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(conversationId, cancellationToken) ? TypedResults.NoContent() : NotFound(conversationId);

    private static async Task<JsonHttpResult<MessageList>> GetMessagesAsync(Guid conversationId, MessageTreeStore messages, CancellationToken cancellationToken) =>
        TypedResults.Json(new MessageList(await messages.GetActiveBranchWithSiblingsAsync(conversationId, cancellationToken)), ConversationsJsonContext.Default.MessageList);

    private static async Task<IResult> EditMessageAsync(Guid conversationId, Guid messageId, HttpRequest request, MessageTreeStore messages, CancellationToken cancellationToken)
    {
        var (edit, bodyError) = await ConversationErrors.ReadBodyAsync(request, ConversationsJsonContext.Default.EditMessageRequest, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        if (string.IsNullOrWhiteSpace(edit!.Content))
        {
            return OpeaErrors.Validation("content", "Field required: the new text of the message.", edit.Content is null ? "missing" : "string_too_short");
        }

        var added = await messages.EditUserMessageAsync(conversationId, messageId, edit.Content, cancellationToken);
        var branch = await messages.GetActiveBranchWithSiblingsAsync(conversationId, cancellationToken);
        return TypedResults.Json(branch.Last(m => m.Id == added.Id), ConversationsJsonContext.Default.BranchMessage);
    }

    private static async Task<JsonHttpResult<MessageList>> ActivateAsync(Guid conversationId, Guid messageId, MessageTreeStore messages, CancellationToken cancellationToken) =>
        TypedResults.Json(new MessageList(await messages.ActivateAsync(conversationId, messageId, cancellationToken)), ConversationsJsonContext.Default.MessageList);

    private static async Task<IResult> ExportAsync(Guid conversationId, string? format, MessageTreeStore messages, TimeProvider time,
        HttpResponse response, CancellationToken cancellationToken)
    {
        var kind = string.IsNullOrWhiteSpace(format) ? "json" : format.Trim().ToLowerInvariant();
        if (kind is not ("json" or "markdown" or "md"))
        {
            return ConversationErrors.Invalid("query", "format", "format must be json or markdown.", "enum");
        }

        var tree = await messages.GetTreeAsync(conversationId, cancellationToken);
        var now = time.GetUtcNow();
        if (kind == "json")
        {
            var export = new ConversationExport { ExportedAt = now, Conversation = tree.Conversation, Messages = tree.Messages };
            Attachment(response, tree.Conversation.Title, "json");
            return TypedResults.File(JsonSerializer.SerializeToUtf8Bytes(export, s_exportJson.ConversationExport), "application/json; charset=utf-8");
        }

        var branch = await messages.GetActiveBranchAsync(conversationId, cancellationToken);
        Attachment(response, tree.Conversation.Title, "md");
        return TypedResults.File(Encoding.UTF8.GetBytes(ConversationMarkdown.Write(tree.Conversation, branch, now)), "text/markdown; charset=utf-8");
    }

    /// <summary>
    /// <c>Content-Disposition: attachment</c> with the title's own letters in RFC 5987's <c>filename*</c> and an ASCII
    /// <c>filename</c> for older clients (ASP.NET's own fallback turns every other letter into '_').
    /// </summary>
    private static void Attachment(HttpResponse response, string? title, string extension)
    {
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment")
        {
            FileName = $"\"{ConversationTitle.ToAsciiFileName(title, extension)}\"",
            FileNameStar = ConversationTitle.ToFileName(title, extension),
        };
        response.Headers.ContentDisposition = disposition.ToString();
    }

    private static async Task<IResult> ImportAsync(HttpRequest request, ConversationStore store, CancellationToken cancellationToken)
    {
        var (import, error) = await ConversationErrors.ReadBodyAsync(request, ConversationsJsonContext.Default.ConversationImport, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        return Created(request, await store.ImportAsync(import!, cancellationToken));
    }

    private static IResult Created(HttpRequest request, ConversationRecord conversation)
    {
        request.HttpContext.Response.Headers.Location = $"/v1/conversations/{conversation.Id}";
        return TypedResults.Json(conversation, ConversationsJsonContext.Default.ConversationRecord, statusCode: StatusCodes.Status201Created);
    }

    private static OpeaErrorResult NotFound(Guid conversationId) =>
        new(StatusCodes.Status404NotFound, $"Conversation {conversationId} not found.");

    private static bool TryParseQuery(string? text, string name, int fallback, int min, int max, out int value, out IResult? error)
    {
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        error = ConversationErrors.Invalid("query", name, $"{name} must be an integer from {min} to {max}.", "int_parsing");
        return false;
    }
}
