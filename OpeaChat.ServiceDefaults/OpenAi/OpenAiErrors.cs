using System.Globalization;
using Microsoft.AspNetCore.Http;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ServiceDefaults.OpenAi;

// OpenAI's error responses as ASP.NET Core results, for both services that speak OpenAI's wire (inference and the
// gateway's OpenAI door); the body's shape is OpeaChat.Contracts' ErrorResponse.

/// <summary>An error in OpenAI's shape <c>{"error":{"message","type","param","code"}}</c>, with an optional Retry-After.</summary>
public sealed class OpenAiErrorResult(int statusCode, ErrorBody error, TimeSpan? retryAfter = null) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public ErrorBody Error => error;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = statusCode;
        if (retryAfter is { } delay)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return httpContext.Response.WriteAsJsonAsync(new ErrorResponse(error), OpenAiJsonContext.Default.ErrorResponse, "application/json; charset=utf-8", httpContext.RequestAborted);
    }
}

public static class OpenAiErrors
{
    public static OpenAiErrorResult InvalidRequest(string message, string? param, string code = "invalid_value") =>
        new(StatusCodes.Status400BadRequest, new ErrorBody { Message = message, Type = "invalid_request_error", Param = param, Code = code });

    public static OpenAiErrorResult ContextLengthExceeded(string message, string param, int promptTokens, int limit) =>
        new(StatusCodes.Status400BadRequest, new ErrorBody
        {
            Message = message,
            Type = "invalid_request_error",
            Param = param,
            Code = "context_length_exceeded",
            NPromptTokens = promptTokens,
            NCtx = limit,
        });

    public static OpenAiErrorResult Unauthorized(string message) =>
        new(StatusCodes.Status401Unauthorized, new ErrorBody { Message = message, Type = "invalid_request_error", Code = "invalid_api_key" });

    public static OpenAiErrorResult RateLimited(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, new ErrorBody
        {
            Message = $"Too many requests: the rate limit for this key or address is reached. Retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.",
            Type = "rate_limit_error",
            Code = "rate_limit_exceeded",
        }, retryAfter);

    public static OpenAiErrorResult ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, new ErrorBody
        {
            Message = $"The model '{model}' does not exist. GET /v1/models lists the models this server has.",
            Type = "invalid_request_error",
            Param = "model",
            Code = "model_not_found",
        });

    public static OpenAiErrorResult Unavailable(string message, string code, TimeSpan? retryAfter) =>
        new(StatusCodes.Status503ServiceUnavailable, new ErrorBody { Message = message, Type = "unavailable_error", Code = code }, retryAfter);

    public static OpenAiErrorResult QueueFull(int capacity) =>
        new(StatusCodes.Status429TooManyRequests, new ErrorBody
        {
            Message = $"The server is busy: {capacity} requests are already running or waiting. Retry after the time in the Retry-After header.",
            Type = "rate_limit_error",
            Code = "queue_full",
        }, TimeSpan.FromSeconds(2));

    public static OpenAiErrorResult TooLarge(long limit, string setting = "Inference:MaxRequestBodyBytes") =>
        new(StatusCodes.Status413PayloadTooLarge, new ErrorBody
        {
            Message = $"The request body is larger than the limit of {limit} bytes ({setting}).",
            Type = "invalid_request_error",
            Code = "request_too_large",
        });

    public static OpenAiErrorResult ServerError(string message) =>
        new(StatusCodes.Status500InternalServerError, new ErrorBody { Message = message, Type = "server_error", Code = "generation_failed" });
}
