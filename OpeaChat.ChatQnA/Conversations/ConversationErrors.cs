using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.Opea;

using OpeaChat.ServiceDefaults.Security;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>The gateway's FastAPI-shaped errors for the conversation and prompt APIs.</summary>
public static class ConversationErrors
{
    /// <summary>404, 403, 409 or 422 for a refused store operation.</summary>
    public static IResult ToResult(this ConversationStoreException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Error switch
        {
            ConversationStoreError.ConversationNotFound or ConversationStoreError.MessageNotFound or ConversationStoreError.PromptNotFound =>
                new OpeaErrorResult(StatusCodes.Status404NotFound, exception.Message),
            ConversationStoreError.ReadOnly => new OpeaErrorResult(StatusCodes.Status403Forbidden, exception.Message),
            ConversationStoreError.Conflict => new OpeaErrorResult(StatusCodes.Status409Conflict, exception.Message),
            ConversationStoreError.StorageFull => new OpeaErrorResult(StatusCodes.Status507InsufficientStorage, exception.Message),
            ConversationStoreError.StorageReadOnly => new OpeaErrorResult(StatusCodes.Status503ServiceUnavailable, exception.Message),
            // Ids in the path are named *_id by the store; everything else came in the body.
            _ when exception.Field is "message_id" or "conversation_id" => Invalid("path", exception.Field, exception.Message, exception.Type),
            _ => OpeaErrors.Validation(exception.Field ?? string.Empty, exception.Message, exception.Type),
        };
    }

    /// <summary>FastAPI's 422 for a path or query parameter: <c>loc</c> is <c>["path", name]</c> or <c>["query", name]</c>.</summary>
    public static IResult Invalid(string location, string field, string message, string type) =>
        TypedResults.Json(
            new OpeaValidationError([new OpeaValidationIssue(type, [location, .. field.Split('.', StringSplitOptions.RemoveEmptyEntries)], message)]),
            OpeaJsonContext.Default.OpeaValidationError,
            statusCode: StatusCodes.Status422UnprocessableEntity);

    public static IResult Invalid(FieldProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return OpeaErrors.Validation(problem.Field, problem.Message, problem.Type);
    }

    /// <summary>FastAPI's 422 for an id in the path that is not a UUID.</summary>
    public static IResult MalformedId(string name, string text) =>
        Invalid("path", name, $"{name} must be a UUID; '{text}' is not one.", "uuid_parsing");

    /// <summary>
    /// Reads a JSON body as the gateway's /v1/chatqna does: a syntax error is <c>json_invalid</c>, a wrong type names
    /// its field, and a missing or non-object body is refused.
    /// </summary>
    public static async Task<(T? Value, IResult? Error)> ReadBodyAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, type, cancellationToken);
            return value is null or JsonElement { ValueKind: not JsonValueKind.Object }
                ? (default, OpeaErrors.Validation(string.Empty, "The request body must be a JSON object.", "json_invalid"))
                : (value, null);
        }
        catch (JsonException exception)
        {
            return (default, FromJsonException(exception));
        }
    }

    /// <summary>FastAPI's 422 naming the field (<c>loc: ["body","messages","0","content"]</c>); never a .NET type name.</summary>
    public static IResult FromJsonException(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var problem = JsonErrors.Describe(exception);
        if (problem.IsSyntax)
        {
            return OpeaErrors.Validation(string.Empty, problem.Message, "json_invalid");
        }

        var field = (problem.Field ?? string.Empty).Replace("[", ".", StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal);
        return OpeaErrors.Validation(field, problem.Message, field.Length == 0 ? "json_invalid" : "type_error");
    }
}
