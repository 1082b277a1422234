using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http;

namespace OpeaChat.ServiceDefaults.ServerSentEvents;

/// <summary>
/// Server-sent events through ASP.NET Core's own result (<see cref="TypedResults.ServerSentEvents(IAsyncEnumerable{SseItem{string}})"/>:
/// <c>data: …</c> lines, <c>event: …</c> for named events, each event flushed as it comes), plus the header that stops
/// proxies such as nginx from holding tokens back. Each event's data is sent as given: the contract's exact bytes.
/// </summary>
public static class EventStream
{
    /// <summary>The last event of OpenAI's and OPEA's streams.</summary>
    public const string Done = "[DONE]";

    public static IResult Of(IAsyncEnumerable<SseItem<string>> events) => new UnbufferedResult(TypedResults.ServerSentEvents(events));

    /// <summary>An unnamed event (<c>data: …</c>).</summary>
    public static SseItem<string> Data(string data) => new(data);

    /// <summary>A named event (<c>event: NAME</c>, then <c>data: …</c>).</summary>
    public static SseItem<string> Named(string name, string data) => new(data, name);

    private sealed class UnbufferedResult(IResult inner) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.Headers["X-Accel-Buffering"] = "no";
            // The result sets a bare text/event-stream; the charset stays as OPEA's and OpenAI's servers send it.
            response.OnStarting(() =>
            {
                response.ContentType = "text/event-stream; charset=utf-8";
                return Task.CompletedTask;
            });
            try
            {
                await inner.ExecuteAsync(httpContext);
            }
            catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
            {
                // The client left: nothing more to send, and nothing went wrong here.
            }
        }
    }
}
