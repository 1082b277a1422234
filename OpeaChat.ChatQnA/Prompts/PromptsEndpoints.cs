using Microsoft.AspNetCore.Http.HttpResults;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.Prompts;

namespace OpeaChat.ChatQnA.Prompts;

/// <summary><c>/v1/prompts</c>: system prompts and templates, the built-in ones read-only.</summary>
public static class PromptsEndpoints
{
    public static IEndpointRouteBuilder MapPromptEndpoints(this IEndpointRouteBuilder app)
    {
        var prompts = app.MapGroup("/v1/prompts").WithTags("Prompts").WithOpeaStoreErrors();
        prompts.MapGet("/", ListAsync).WithName("ListPrompts").WithSummary("Built-in prompts first, then yours by name; ?kind=system|template.");
        prompts.MapPost("/", CreateAsync).WithName("CreatePrompt");
        prompts.MapGet("/{id}", GetAsync).WithName("GetPrompt");
        prompts.MapPut("/{id}", UpdateAsync).WithName("UpdatePrompt").WithSummary("Replace name, kind and text (not for built-in prompts).");
        prompts.MapDelete("/{id}", DeleteAsync).WithName("DeletePrompt");
        prompts.MapPost("/{id}/render", RenderAsync).WithName("RenderPrompt").WithSummary("Fill the prompt's {placeholders} with the given variables.");
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

    private static async Task<Results<JsonHttpResult<PromptRecord>, OpeaErrorResult>> GetAsync(string id, PromptStore store, CancellationToken cancellationToken) =>
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

        var prompt = await store.CreateAsync(draft!, cancellationToken);
        request.HttpContext.Response.Headers.Location = $"/v1/prompts/{prompt.Id}";
        return TypedResults.Json(prompt, PromptsJsonContext.Default.PromptRecord, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, PromptStore store, CancellationToken cancellationToken)
    {
        var (draft, error) = await ConversationErrors.ReadBodyAsync(request, PromptsJsonContext.Default.PromptDraft, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        return TypedResults.Json(await store.UpdateAsync(id, draft!, cancellationToken), PromptsJsonContext.Default.PromptRecord);
    }

    private static async Task<IResult> DeleteAsync(string id, PromptStore store, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
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
