using Microsoft.AspNetCore.Http.Features;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Models;

/// <summary>
/// Inference's model management through the gateway, behind its API keys: pull a model from Hugging Face (the progress
/// streamed through as it comes, in the format the caller asked for), list and cancel pulls, delete a model, and the
/// recommended models. Inference does the work and its answers, errors included (OpenAI's shape), pass through as
/// they are; the gateway adds only its own refusal when inference cannot be reached.
/// </summary>
public static partial class ModelPullEndpoints
{
    public static IEndpointRouteBuilder MapModelPullEndpoints(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v1/models").WithTags("Models");
        models.MapPost("/pull", PullAsync)
            .WithName("GatewayPullModel")
            .AddEndpointFilter<Accounts.ModelAdminFilter>()
            .WithSummary("Pull a GGUF model from Hugging Face into inference's models folder; the progress streams as SSE (default) or NDJSON.")
            .Accepts<ModelPullRequest>("application/json")
            .Produces<ModelPullStatus>(StatusCodes.Status200OK, "text/event-stream", "application/x-ndjson", "application/json")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
        models.MapGet("/pulls", (ModelPullClient inference, ILoggerFactory loggers, CancellationToken cancellationToken) =>
                RelayAsync(token => inference.ListPullsAsync(token), loggers, cancellationToken))
            .WithName("GatewayListModelPulls")
            .WithSummary("Pulls running now and those ended in the last minutes.")
            .Produces<ModelPullList>();
        models.MapDelete("/pulls/{id}", (string id, ModelPullClient inference, ILoggerFactory loggers, CancellationToken cancellationToken) =>
                RelayAsync(token => inference.CancelPullAsync(id, token), loggers, cancellationToken))
            .WithName("GatewayCancelModelPull")
            .AddEndpointFilter<Accounts.ModelAdminFilter>()
            .WithSummary("Cancel a running pull.")
            .Produces<ModelPullStatus>()
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        models.MapGet("/recommended", (ModelPullClient inference, ILoggerFactory loggers, CancellationToken cancellationToken) =>
                RelayAsync(token => inference.ListRecommendedAsync(token), loggers, cancellationToken))
            .WithName("GatewayRecommendedModels")
            .WithSummary("Models offered to pull on first run, with their size, memory need and licence.")
            .Produces<RecommendedModelList>();
        models.MapDelete("/{id}", (string id, bool? force, ModelPullClient inference, ILoggerFactory loggers, CancellationToken cancellationToken) =>
                RelayAsync(token => inference.DeleteModelAsync(id, force == true, token), loggers, cancellationToken))
            .WithName("GatewayDeleteModel")
            .AddEndpointFilter<Accounts.ModelAdminFilter>()
            .WithSummary("Delete a model's file; 409 when it is loaded or the default, unless force=true.")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> PullAsync(HttpContext httpContext, ModelPullClient inference, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // The body goes on as it came: inference validates it and answers its own 400s.
        using var body = new MemoryStream();
        await httpContext.Request.Body.CopyToAsync(body, cancellationToken);
        var accept = httpContext.Request.Headers.Accept.Where(value => !string.IsNullOrEmpty(value)).Select(value => value!).ToList();
        return await RelayAsync(token => inference.PullAsync(body.ToArray(), httpContext.Request.ContentType, accept, token), loggers, cancellationToken);
    }

    private static async Task<IResult> RelayAsync(Func<CancellationToken, Task<HttpResponseMessage>> send, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            return new RelayedResponse(await send(cancellationToken), loggers.CreateLogger(typeof(ModelPullEndpoints)));
        }
        catch (InferenceException exception)
        {
            return OpenAiEndpoints.FromInference(exception);
        }
    }

    /// <summary>
    /// Inference's answer, relayed: its status, content type and body. A stream (SSE or NDJSON) is written through as
    /// each piece arrives, never buffered, so the caller sees the progress live.
    /// </summary>
    private sealed partial class RelayedResponse(HttpResponseMessage response, ILogger logger) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => (int)response.StatusCode;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using (response)
            {
                var target = httpContext.Response;
                target.StatusCode = (int)response.StatusCode;
                if (response.Content.Headers.ContentType is { } type)
                {
                    target.ContentType = type.ToString();
                }

                if (response.Headers.RetryAfter is { } retryAfter)
                {
                    target.Headers.RetryAfter = retryAfter.ToString();
                }

                var streamed = IsStream(response.Content.Headers.ContentType?.MediaType);
                if (streamed)
                {
                    target.Headers.CacheControl = "no-cache";
                    target.Headers["X-Accel-Buffering"] = "no"; // nor a reverse proxy in front

                    httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                }

                var aborted = httpContext.RequestAborted;
                try
                {
                    await using var source = await response.Content.ReadAsStreamAsync(aborted);
                    if (!streamed)
                    {
                        await source.CopyToAsync(target.Body, aborted);
                        return;
                    }

                    // The headers go at once: the caller knows the pull started before the first progress event.
                    await target.StartAsync(aborted);
                    var buffer = new byte[16 * 1024];
                    int read;
                    while ((read = await source.ReadAsync(buffer, aborted)) > 0)
                    {
                        await target.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
                        await target.Body.FlushAsync(aborted);
                    }
                }
                catch (OperationCanceledException) when (aborted.IsCancellationRequested)
                {
                    // The caller left; the pull goes on in inference (GET /v1/models/pulls shows it).
                }
                catch (Exception exception) when (exception is IOException or HttpRequestException)
                {
                    // Inference went away part-way: the stream ends without its final event, which tells the caller
                    // to ask GET /v1/models/pulls how the pull stands.
                    LogRelayBroken(logger, exception.Message);
                }
            }
        }

        private static bool IsStream(string? mediaType) =>
            string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase)
            || string.Equals(mediaType, "application/x-ndjson", StringComparison.OrdinalIgnoreCase);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The model pull's progress from inference broke off: {Reason}")]
        private static partial void LogRelayBroken(ILogger logger, string reason);
    }
}
