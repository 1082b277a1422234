using System.Globalization;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.Contracts.Opea;

namespace OpeaChat.ChatQnA.Opea;

/// <summary>Errors in the shape OPEA's FastAPI gateway uses, so OPEA clients show them unchanged.</summary>
public sealed class OpeaErrorResult(int statusCode, string detail, TimeSpan? retryAfter = null) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public string Detail => detail;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = statusCode;
        if (retryAfter is { } delay)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return httpContext.Response.WriteAsJsonAsync(new OpeaErrorDetail(detail), OpeaJsonContext.Default.OpeaErrorDetail, "application/json; charset=utf-8", httpContext.RequestAborted);
    }
}

public static class OpeaErrors
{
    /// <summary>FastAPI's 422 for a request that does not fit the schema, naming the field in <c>loc</c>.</summary>
    public static IResult Validation(string field, string message, string type = "value_error")
    {
        IReadOnlyList<string> loc = ["body", .. field.Split('.', StringSplitOptions.RemoveEmptyEntries)];
        return TypedResults.Json(
            new OpeaValidationError([new OpeaValidationIssue(type, loc, message)]),
            OpeaJsonContext.Default.OpeaValidationError,
            statusCode: StatusCodes.Status422UnprocessableEntity);
    }

    public static IResult FromInference(InferenceException exception) => exception.StatusCode switch
    {
        System.Net.HttpStatusCode.BadRequest when exception.Param is { } param =>
            Validation(param, exception.Message, exception.Code ?? "value_error"),
        _ => new OpeaErrorResult((int)exception.StatusCode, exception.Message, exception.RetryAfter),
    };
}
