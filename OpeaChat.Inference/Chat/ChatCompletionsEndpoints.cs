using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Models;
using OpeaChat.OpenAi;

namespace OpeaChat.Inference.Chat;

public static class ChatCompletionsEndpoints
{
    public static IEndpointRouteBuilder MapChatCompletionsEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("OpenAI");
        v1.MapPost("/chat/completions", CreateChatCompletionAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("OpenAI-compatible chat completion, streaming (SSE) or not.");
        return app;
    }

    private static async Task<IResult> CreateChatCompletionAsync(
        HttpContext httpContext, ModelHost host, IOptions<InferenceOptions> options, CancellationToken cancellationToken)
    {
        var bodyLimit = options.Value.MaxRequestBodyBytes;
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, OpenAiJsonContext.Default.ChatCompletionRequest, bodyLimit, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        if (ChatCompletionValidator.Validate(request!) is { } invalid)
        {
            return invalid;
        }

        if (ModelAvailability.Check(host, request!.Model) is { } unavailable)
        {
            return unavailable;
        }

        var model = host.Model!;
        var prompt = model.Formatter.Format(request.Messages!.Select(message => (message.Role!, message.Content!.Text)));
        var (generation, tooLong) = GenerationRequestFactory.Create(model, request, prompt, cancellationToken);
        if (tooLong is not null)
        {
            return tooLong;
        }

        if (!model.Engine.TryEnqueue(generation!, out var updates))
        {
            return OpenAiErrors.QueueFull(options.Value.MaxParallelSequences + options.Value.MaxQueueLength);
        }

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.Stream == true)
        {
            return new ChatCompletionStreamResult(id, created, model.Id, updates, request.StreamOptions?.IncludeUsage == true);
        }

        var text = new StringBuilder();
        GenerationResult? result = null;
        await foreach (var update in updates.ReadAllAsync(cancellationToken))
        {
            text.Append(update.Text);
            result = update.Result ?? result;
        }

        if (result is null || result.Error is not null)
        {
            return OpenAiErrors.ServerError(result?.Error ?? "Generation ended without a result.");
        }

        return TypedResults.Json(new ChatCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model.Id,
            Choices = [new ChatCompletionChoice { Message = ChatMessage.Create("assistant", text.ToString()), FinishReason = result.FinishReason }],
            Usage = new Usage { PromptTokens = result.PromptTokens, CompletionTokens = result.CompletionTokens, TotalTokens = result.PromptTokens + result.CompletionTokens },
        }, OpenAiJsonContext.Default.ChatCompletionResponse);
    }

    /// <summary>Writes OpenAI's streaming format: <c>data: {chunk}</c> events, then <c>data: [DONE]</c>.</summary>
    private sealed class ChatCompletionStreamResult(
        string id, long created, string model, ChannelReader<GenerationUpdate> updates, bool includeUsage) : IResult
    {
        private static readonly byte[] s_dataPrefix = "data: "u8.ToArray();
        private static readonly byte[] s_eventEnd = "\n\n"u8.ToArray();
        private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            var cancellationToken = httpContext.RequestAborted;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";

            await WriteChunkAsync(response, new ChatDelta { Role = "assistant", Content = string.Empty }, null, null, cancellationToken);
            try
            {
                await foreach (var update in updates.ReadAllAsync(cancellationToken))
                {
                    if (update.Text is { } text)
                    {
                        await WriteChunkAsync(response, new ChatDelta { Content = text }, null, null, cancellationToken);
                    }

                    if (update.Result is not { } result)
                    {
                        continue;
                    }

                    if (result.Error is not null)
                    {
                        var error = new ErrorResponse(new ErrorBody { Message = result.Error, Type = "server_error", Code = "generation_failed" });
                        await WriteEventAsync(response, JsonSerializer.SerializeToUtf8Bytes(error, OpenAiJsonContext.Default.ErrorResponse), cancellationToken);
                        return;
                    }

                    await WriteChunkAsync(response, new ChatDelta(), result.FinishReason, null, cancellationToken);
                    if (includeUsage)
                    {
                        var usage = new Usage { PromptTokens = result.PromptTokens, CompletionTokens = result.CompletionTokens, TotalTokens = result.PromptTokens + result.CompletionTokens };
                        await WriteChunkAsync(response, null, null, usage, cancellationToken);
                    }
                }

                await response.Body.WriteAsync(s_done, cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client left; the decode loop sees the same token and frees the sequence.
            }
        }

        private Task WriteChunkAsync(HttpResponse response, ChatDelta? delta, string? finishReason, Usage? usage, CancellationToken cancellationToken)
        {
            var chunk = new ChatCompletionChunk
            {
                Id = id,
                Created = created,
                Model = model,
                Choices = delta is null ? [] : [new ChatCompletionChunkChoice { Delta = delta, FinishReason = finishReason }],
                Usage = usage,
            };
            return WriteEventAsync(response, JsonSerializer.SerializeToUtf8Bytes(chunk, OpenAiJsonContext.Default.ChatCompletionChunk), cancellationToken);
        }

        private static async Task WriteEventAsync(HttpResponse response, byte[] json, CancellationToken cancellationToken)
        {
            await response.Body.WriteAsync(s_dataPrefix, cancellationToken);
            await response.Body.WriteAsync(json, cancellationToken);
            await response.Body.WriteAsync(s_eventEnd, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}
