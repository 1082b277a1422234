using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace OpeaChat.Benchmarks.Load.Targets;

/// <summary>What the HTTP targets share: one connection pool, per-request timeouts, and turning failures into samples.</summary>
public abstract class HttpTarget : ILoadTarget
{
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c> (inference and the gateway ask for one when keys are on).</param>
    protected HttpTarget(Uri baseUri, string? apiKey = null)
    {
        BaseUri = baseUri;
        Client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false, // load goes to 127.0.0.1 directly, never through a proxy
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = baseUri,
            Timeout = Timeout.InfiniteTimeSpan, // each request gets its own deadline
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public abstract string Kind { get; }

    public string Address => BaseUri.ToString();

    public abstract string OutputTokensSource { get; }

    protected Uri BaseUri { get; }

    protected HttpClient Client { get; }

    public abstract Task<TargetInfo> StartAsync(CancellationToken cancellationToken);

    public abstract Task<int> CountPromptTokensAsync(string prompt, CancellationToken cancellationToken);

    public async Task<RequestSample> SendAsync(string prompt, LoadWorkload workload, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(workload.RequestTimeout);
        try
        {
            return await StreamAsync(start, prompt, workload, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), $"timed out after {workload.RequestTimeout.TotalSeconds:F0} s");
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    /// <summary>Sends the request and reads its stream to the end; <paramref name="start"/> is when the request began.</summary>
    protected abstract Task<RequestSample> StreamAsync(long start, string prompt, LoadWorkload workload, CancellationToken cancellationToken);

    /// <summary>Posts a streaming request and reads its body with <paramref name="read"/>, or gives the refused request's sample.</summary>
    protected async Task<RequestSample> PostStreamAsync(long start, string path, HttpContent content, Func<Stream, Task<RequestSample>> read, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        using var response = await Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return RequestSample.Failed(start, Stopwatch.GetTimestamp(), await DescribeFailureAsync(response, cancellationToken).ConfigureAwait(false));
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await read(body).ConfigureAwait(false);
    }

    /// <summary>A short description of a refused request: status and the start of its body.</summary>
    protected static async Task<string> DescribeFailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        body = body.ReplaceLineEndings(" ");
        return $"HTTP {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] + "…" : body)}";
    }

    public virtual ValueTask DisposeAsync()
    {
        Client.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
