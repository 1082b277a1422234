using OpeaChat.ChatQnA.ChatQnA;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;

namespace OpeaChat.ChatQnA.Prompts;

/// <summary><c>/v1/prompts</c>: system prompts and templates, the built-in ones read-only.</summary>
public static class PromptsEndpoints
{
    public static IEndpointRouteBuilder MapPromptEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("Prompts");
        v1.MapGet("/prompts", ListAsync).WithName("ListPrompts").WithSummary("Built-in prompts first, then yours by name; ?kind=system|template.");
        v1.MapPost("/prompts", CreateAsync).WithName("CreatePrompt");
        v1.MapGet("/prompts/{id}", GetAsync).WithName("GetPrompt");
        v1.MapPut("/prompts/{id}", UpdateAsync).WithName("UpdatePrompt").WithSummary("Replace name, kind and text (not for built-in prompts).");
        v1.MapDelete("/prompts/{id}", DeleteAsync).WithName("DeletePrompt");
        v1.MapPost("/prompts/{id}/render", RenderAsync).WithName("RenderPrompt").WithSummary("Fill the prompt's {placeholders} with the given variables.");
        return app;
    }

    private static async Task<IResult> ListAsync(PromptStore store, string? kind, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(kind) && !PromptKinds.All.Contains(kind))
        {
            return ConversationErrors.Invalid("query", "kind", $"kind must be one of {string.Join(", ", PromptKinds.All)}.", "enum");
        }

        return TypedResults.Json(new PromptList(await store.ListAsync(kind, cancellationToken)), PromptsJsonContext.Default.PromptList);
    }

    private static async Task<IResult> GetAsync(string id, PromptStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } prompt
            ? TypedResults.Json(prompt, PromptsJsonContext.Default.PromptRecord)
            : NotFound(id);

    private static async Task<IResult> CreateAsync(HttpRequest request, PromptStore store, CancellationToken cancellationToken)
    {
        var (draft, error) = await ConversationErrors.ReadBodyAsync(request, PromptsJsonContext.Default.PromptDraft, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        try
        {
            var prompt = await store.CreateAsync(draft!, cancellationToken);
            request.HttpContext.Response.Headers.Location = $"/v1/prompts/{prompt.Id}";
            return TypedResults.Json(prompt, PromptsJsonContext.Default.PromptRecord, statusCode: StatusCodes.Status201Created);
        }
        catch (ConversationStoreException exception)
        {
            return exception.ToResult();
        }
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, PromptStore store, CancellationToken cancellationToken)
    {
        var (draft, error) = await ConversationErrors.ReadBodyAsync(request, PromptsJsonContext.Default.PromptDraft, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        try
        {
            return TypedResults.Json(await store.UpdateAsync(id, draft!, cancellationToken), PromptsJsonContext.Default.PromptRecord);
        }
        catch (ConversationStoreException exception)
        {
            return exception.ToResult();
        }
    }

    private static async Task<IResult> DeleteAsync(string id, PromptStore store, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(id, cancellationToken);
            return TypedResults.NoContent();
        }
        catch (ConversationStoreException exception)
        {
            return exception.ToResult();
        }
    }

    private static async Task<IResult> RenderAsync(string id, HttpRequest request, PromptStore store, CancellationToken cancellationToken)
    {
        var (render, error) = await ConversationErrors.ReadBodyAsync(request, PromptsJsonContext.Default.RenderPromptRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (await store.GetAsync(id, cancellationToken) is not { } prompt)
        {
            return NotFound(id);
        }

        try
        {
            var text = PromptTemplate.Fill(prompt.Text, render!.Variables ?? []);
            return TypedResults.Json(new RenderPromptResponse(text), PromptsJsonContext.Default.RenderPromptResponse);
        }
        catch (PromptTemplateException exception)
        {
            return OpeaErrors.Validation($"variables.{exception.Missing[0]}", exception.Message, "missing");
        }
    }

    private static OpeaErrorResult NotFound(string id) => new(StatusCodes.Status404NotFound, $"Prompt '{id}' not found.");
}
