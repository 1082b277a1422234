using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpeaChat.Inference.Engine;
using OpeaChat.Inference.Models;
using OpeaChat.Inference.Telemetry;
using OpeaChat.Inference.Tools;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.Inference.Chat;

public static class ChatCompletionsEndpoints
{
    public static IEndpointRouteBuilder MapChatCompletionsEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("OpenAI");
        v1.MapPost("/chat/completions", CreateChatCompletionAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("OpenAI-compatible chat completion, streaming (SSE) or not.");
        v1.MapPost("/completions", CreateCompletionAsync)
            .WithName("CreateCompletion")
            .WithSummary("OpenAI-compatible text completion of a raw prompt (no chat template).");
        return app;
    }

    private static async Task<IResult> CreateChatCompletionAsync(
        HttpContext httpContext, ModelManager models, IOptions<InferenceOptions> options, InferenceMetrics metrics, CancellationToken cancellationToken)
    {
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, OpenAiJsonContext.Default.ChatCompletionRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if ((readError ?? ChatCompletionValidator.Validate(request!)) is { } invalid)
        {
            return invalid;
        }

        var (model, unavailable) = ModelAvailability.Resolve(models, request!.Model);
        if (unavailable is not null)
        {
            return unavailable;
        }

        var tools = ToolCallPlan.For(request, model!.Formatter.ToolFormat);
        var prompt = ToolCallPlan.Involves(request)
            ? ToolCallPlan.RenderPrompt(model.Formatter, model.Formatter.ToolFormat, request)
            : model.Formatter.Format(request.Messages!.Select(message => (message.Role!, message.Content!.Text)));
        return Generate(model, request, model.Tokenize(prompt), request.MaxCompletionTokens ?? request.MaxTokens, tools?.Grammar ?? ChatCompletionValidator.GrammarFor(request), "messages",
            CompletionShape.Chat, options.Value, metrics, cancellationToken, tools);
    }

    private static async Task<IResult> CreateCompletionAsync(
        HttpContext httpContext, ModelManager models, IOptions<InferenceOptions> options, InferenceMetrics metrics, CancellationToken cancellationToken)
    {
        var (request, readError) = await JsonRequestReader.ReadAsync(httpContext.Request, OpenAiJsonContext.Default.CompletionRequest, options.Value.MaxRequestBodyBytes, cancellationToken);
        if ((readError ?? ChatCompletionValidator.Validate(request!)) is { } invalid)
        {
            return invalid;
        }

        var (model, unavailable) = ModelAvailability.Resolve(models, request!.Model);
        if (unavailable is not null)
        {
            return unavailable;
        }

        return Generate(model!, request, model!.Tokenize(request.Prompt!.Values[0]), request.MaxTokens, request.Grammar, "prompt",
            CompletionShape.Text, options.Value, metrics, cancellationToken);
    }

    /// <summary>The part chat and text completions share: queue the generation, then answer whole or as a stream.</summary>
    private static IResult Generate(
        LoadedModel model, GenerationParameters parameters, IReadOnlyList<LLama.Native.LLamaToken> tokens, int? maxTokens, string? grammar,
        string promptParam, CompletionShape shape, InferenceOptions options, InferenceMetrics metrics, CancellationToken cancellationToken, ToolCallPlan? tools = null)
    {
        if (grammar is not null && !GbnfCheck.Parses(model.Weights, grammar))
        {
            // A built grammar (JSON mode, a schema) always parses; only the client's own GBNF can fail here.
            return OpenAiErrors.InvalidRequest(
                "'grammar' is not valid GBNF (llama.cpp's grammar format) with a 'root' rule; see llama.cpp's grammars/README.md.", "grammar", "invalid_grammar");
        }

        var (generation, invalid) = GenerationRequestFactory.Create(model, parameters, tokens, maxTokens, grammar, promptParam, cancellationToken, tools?.LazyGrammar);
        if (invalid is not null)
        {
            return invalid;
        }

        var request = generation!;
        if (!model.Engine.TryEnqueue(request, out var updates))
        {
            metrics.RecordRejected(model.Id);
            return OpenAiErrors.QueueFull(model.Engine.Capacity);
        }

        var activity = InferenceMetrics.ActivitySource.StartActivity($"{shape.OperationName} {model.Id}", ActivityKind.Internal);
        activity?.SetTag("gen_ai.operation.name", shape.OperationName);
        activity?.SetTag("gen_ai.request.model", model.Id);
        activity?.SetTag("gen_ai.request.max_tokens", request.MaxTokens);
        activity?.SetTag("gen_ai.request.temperature", request.Sampling.Temperature);
        activity?.SetTag("gen_ai.request.seed", request.Sampling.Seed);
        activity?.SetTag("opeachat.tool_format", tools?.Format.Name);
        var completion = new CompletionWriter($"{shape.IdPrefix}{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model.Id, shape);
        return parameters.Stream == true
            ? EventStream.Of(StreamAsync(completion, updates, parameters.StreamOptions?.IncludeUsage == true, activity, tools))
            : new CompletionResult(completion, updates, activity, tools, cancellationToken);
    }

    private static void Finish(Activity? activity, GenerationResult? result)
    {
        if (activity is null)
        {
            return;
        }

        if (result is not null)
        {
            activity.SetTag("gen_ai.usage.input_tokens", result.PromptTokens);
            activity.SetTag("gen_ai.usage.output_tokens", result.CompletionTokens);
            activity.SetTag("opeachat.cached_tokens", result.CachedTokens);
            activity.SetTag("gen_ai.response.finish_reasons", result.FinishReason);
            if (result.Error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, result.Error);
            }
        }

        activity.Dispose();
    }

    private static Usage ToUsage(GenerationResult result) => new()
    {
        PromptTokens = result.PromptTokens,
        CompletionTokens = result.CompletionTokens,
        TotalTokens = result.PromptTokens + result.CompletionTokens,
        PromptTokensDetails = new PromptTokensDetails { CachedTokens = result.CachedTokens },
    };

    /// <summary>Which OpenAI object a generation is answered as.</summary>
    private sealed record CompletionShape(string OperationName, string IdPrefix, bool IsChat)
    {
        public static readonly CompletionShape Chat = new("chat", "chatcmpl-", true);
        public static readonly CompletionShape Text = new("text_completion", "cmpl-", false);
    }

    /// <summary>Builds the response objects of one completion in its shape.</summary>
    private sealed record CompletionWriter(string Id, long Created, string Model, CompletionShape Shape)
    {
        public string Chunk(string? role, string? text, string? finishReason, Usage? usage, bool withChoice = true)
        {
            if (Shape.IsChat)
            {
                return JsonSerializer.Serialize(new ChatCompletionChunk
                {
                    Id = Id,
                    Created = Created,
                    Model = Model,
                    Choices = withChoice ? [new ChatCompletionChunkChoice { Delta = new ChatDelta { Role = role, Content = text }, FinishReason = finishReason }] : [],
                    Usage = usage,
                }, OpenAiJsonContext.Default.ChatCompletionChunk);
            }

            return JsonSerializer.Serialize(new CompletionResponse
            {
                Id = Id,
                Created = Created,
                Model = Model,
                Choices = withChoice ? [new CompletionChoice { Text = text ?? string.Empty, FinishReason = finishReason }] : [],
                Usage = usage,
            }, OpenAiJsonContext.Default.CompletionResponse);
        }

        /// <summary>A streamed piece of a tool call: its head (id and name) or a fragment of its arguments.</summary>
        public string ToolCallChunk(ToolCallEvent piece) => JsonSerializer.Serialize(new ChatCompletionChunk
        {
            Id = Id,
            Created = Created,
            Model = Model,
            Choices =
            [
                new ChatCompletionChunkChoice
                {
                    Delta = new ChatDelta
                    {
                        ToolCalls =
                        [
                            piece switch
                            {
                                ToolCallEvent.CallStarted started => new ToolCallDelta
                                {
                                    Index = started.Index, Id = started.Id, Type = "function", Function = new FunctionCall { Name = started.Name, Arguments = string.Empty },
                                },
                                ToolCallEvent.Arguments arguments => new ToolCallDelta { Index = arguments.Index, Function = new FunctionCall { Arguments = arguments.Fragment } },
                                _ => throw new ArgumentOutOfRangeException(nameof(piece)),
                            },
                        ],
                    },
                },
            ],
        }, OpenAiJsonContext.Default.ChatCompletionChunk);

        public IResult Whole(string text, GenerationResult result, ToolCallParser? calls = null) => Shape.IsChat
            ? TypedResults.Json(new ChatCompletionResponse
            {
                Id = Id,
                Created = Created,
                Model = Model,
                Choices = [new ChatCompletionChoice { Message = ToolMessage(text, calls), FinishReason = FinishReasonOf(result, calls) }],
                Usage = ToUsage(result),
            }, OpenAiJsonContext.Default.ChatCompletionResponse)
            : TypedResults.Json(new CompletionResponse
            {
                Id = Id,
                Created = Created,
                Model = Model,
                Choices = [new CompletionChoice { Text = text, FinishReason = result.FinishReason }],
                Usage = ToUsage(result),
            }, OpenAiJsonContext.Default.CompletionResponse);
    }

    /// <summary>The assistant's message: its text, and the calls it made (then the text is null when there is none).</summary>
    private static ChatMessage ToolMessage(string text, ToolCallParser? calls)
    {
        if (calls is null)
        {
            return ChatMessage.Create("assistant", text);
        }

        calls.Push(text);
        calls.Finish();
        if (calls.Calls.Count == 0)
        {
            return ChatMessage.Create("assistant", calls.ContentText);
        }

        var content = calls.ContentText.Trim();
        return new ChatMessage
        {
            Role = "assistant",
            Content = content.Length == 0 ? null : new MessageContent(content),
            ToolCalls = [.. calls.Calls.Select(call => new ToolCall { Id = call.Id, Type = "function", Function = new FunctionCall { Name = call.Name, Arguments = call.Arguments } })],
        };
    }

    /// <summary>A reply that ended by itself after making calls ends with <c>tool_calls</c>, as OpenAI's do.</summary>
    private static string FinishReasonOf(GenerationResult result, ToolCallParser? calls) =>
        calls is { Calls.Count: > 0 } && result.FinishReason == Contracts.OpenAi.FinishReasons.Stop ? Contracts.OpenAi.FinishReasons.ToolCalls : result.FinishReason;

    private sealed class CompletionResult(
        CompletionWriter writer, ChannelReader<GenerationUpdate> updates, Activity? activity, ToolCallPlan? tools, CancellationToken cancellationToken) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var text = new StringBuilder();
            GenerationResult? result = null;
            try
            {
                await foreach (var update in updates.ReadAllAsync(cancellationToken))
                {
                    text.Append(update.Text);
                    result = update.Result ?? result;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // The client left; the decode loop sees the same token and frees the sequence.
            }
            finally
            {
                Finish(activity, result);
            }

            var answer = result is null || result.Error is not null
                ? OpenAiErrors.ServerError(result?.Error ?? "Generation ended without a result.")
                : writer.Whole(text.ToString(), result, tools is null ? null : new ToolCallParser(tools.Format));
            await answer.ExecuteAsync(httpContext);
        }
    }

    private static string PieceChunk(CompletionWriter writer, ToolCallEvent piece) =>
        piece is ToolCallEvent.Content content ? writer.Chunk(null, content.Text, null, null) : writer.ToolCallChunk(piece);

    /// <summary>OpenAI's streaming format: <c>data: {chunk}</c> events, then <c>data: [DONE]</c>.</summary>
    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        CompletionWriter writer, ChannelReader<GenerationUpdate> updates, bool includeUsage, Activity? activity, ToolCallPlan? tools,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var calls = tools is null ? null : new ToolCallParser(tools.Format);
        // The client leaving cancels this token; the decode loop sees the same token and frees the sequence.
        GenerationResult? result = null;
        try
        {
            // Headers and the role go out at once, so a client (or the gateway's timeout) knows the request was accepted.
            yield return EventStream.Data(writer.Chunk(writer.Shape.IsChat ? "assistant" : null, string.Empty, null, null));
            await foreach (var update in updates.ReadAllAsync(cancellationToken))
            {
                if (update.Text is { } text)
                {
                    if (calls is null)
                    {
                        yield return EventStream.Data(writer.Chunk(null, text, null, null));
                    }
                    else
                    {
                        foreach (var piece in calls.Push(text))
                        {
                            yield return EventStream.Data(PieceChunk(writer, piece));
                        }
                    }
                }

                if (update.Result is not { } final)
                {
                    continue;
                }

                result = final;
                if (final.Error is not null)
                {
                    var error = new ErrorResponse(new ErrorBody { Message = final.Error, Type = "server_error", Code = "generation_failed" });
                    yield return EventStream.Data(JsonSerializer.Serialize(error, OpenAiJsonContext.Default.ErrorResponse));
                    yield break;
                }

                foreach (var piece in calls?.Finish() ?? [])
                {
                    yield return EventStream.Data(PieceChunk(writer, piece));
                }

                yield return EventStream.Data(writer.Chunk(null, writer.Shape.IsChat ? null : string.Empty, FinishReasonOf(final, calls), null));
                if (includeUsage)
                {
                    yield return EventStream.Data(writer.Chunk(null, null, null, ToUsage(final), withChoice: false));
                }
            }

            yield return EventStream.Data(EventStream.Done);
        }
        finally
        {
            Finish(activity, result);
        }
    }
}
