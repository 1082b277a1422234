using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using Microsoft.Extensions.AI;
using OpeaChat.ServiceDefaults.OpenAi;
using OpenAI;

namespace OpeaChat.ChatQnA.Generation;

/// <summary>
/// The <see cref="IChatClient"/> the gateway calls inference's chat completions through: Microsoft.Extensions.AI's
/// adapter over the official OpenAI client, whose requests go out through the gateway's own inference
/// <see cref="HttpClient"/> (service discovery, balancing, the resilience rules, the liveness probe, the key).
/// </summary>
public static class InferenceChatClient
{
    /// <summary>The key it is registered under: it is inference's, not a chat client for anything else to pick up.</summary>
    public const string ServiceKey = "inference";

    /// <summary>The OpenAI client needs a model; each request's own (or none, see ChatWireMapping) replaces it.</summary>
    private const string PlaceholderModel = "default";

    /// <summary>A chat client sending through <paramref name="handler"/> (the inference HTTP client's) to inference at <paramref name="baseAddress"/>.</summary>
    public static IChatClient Create(HttpMessageHandler handler, Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(baseAddress);
        // Replies can stream for minutes; the resilience handler bounds the wait for the first byte instead.
        var httpClient = new HttpClient(new BodyReleasingHandler(handler), disposeHandler: false) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(baseAddress, "v1"),
            Transport = new InferenceTransport(httpClient),
            // The HTTP client's resilience handler decides what is retried (only what failed before any of the reply
            // came); a second retry loop here would multiply its attempts.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The SDK's per-read timeout (100 s) would cut a reply whose long prompt keeps the first token away for
            // minutes; the resilience handler bounds the wait for the headers and the stall probe a silent stream.
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        options.AddPolicy(new InferenceStreamPolicy(httpClient), PipelinePosition.BeforeTransport);
        // The key is InferenceKeyHandler's business, as on every call to inference; the SDK insists on a credential.
        return new OpenAIClient(new ApiKeyCredential("unused"), options).GetChatClient(PlaceholderModel).AsIChatClient();
    }

    /// <summary>The HTTP client's transport, noting which replica answered (the balancer may have picked one).</summary>
    private sealed class InferenceTransport(HttpClient httpClient) : HttpClientPipelineTransport(httpClient)
    {
        protected override void OnReceivedResponse(PipelineMessage message, HttpResponseMessage httpResponse)
        {
            if (httpResponse.RequestMessage?.RequestUri is { IsAbsoluteUri: true } served)
            {
                message.SetProperty(typeof(ServedBy), served);
            }
        }
    }

    private sealed class ServedBy;

    /// <summary>
    /// The SDK disposes a response's body stream but never its <see cref="HttpContent"/> (it keeps it for the
    /// headers); the inference client's handlers (the balancer's count of a replica's open requests) wait for the
    /// content's disposal. Here the body's stream owns its content, so disposing the one lets the other go.
    /// </summary>
    private sealed class BodyReleasingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var content = response.Content;
            var owned = new StreamContent(new OwningStream(await content.ReadAsStreamAsync(cancellationToken), content));
            foreach (var header in content.Headers)
            {
                owned.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = owned;
            return response;
        }
    }

    /// <summary>Passes a body through and, when disposed, disposes the content it came from.</summary>
    private sealed class OwningStream(Stream inner, IDisposable owner) : ReadOnlyStreamWrapper(inner)
    {
        public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => Inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Inner.ReadAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                owner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Drops the SDK's placeholder credential, and watches a streamed reply (<see cref="InferenceEventStream"/>): the
    /// SDK ends a stream quietly at its end even without <c>[DONE]</c>, and knows nothing of a silent service.
    /// </summary>
    private sealed class InferenceStreamPolicy(HttpClient httpClient) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
            if (IsWhole(message))
            {
                message.Response!.BufferContent(message.CancellationToken);
            }
            else
            {
                Watch(message);
            }
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            await ProcessNextAsync(message, pipeline, currentIndex);
            if (IsWhole(message))
            {
                await message.Response!.BufferContentAsync(message.CancellationToken);
            }
            else
            {
                Watch(message);
            }
        }

        /// <summary>
        /// An answer read whole: a non-streamed one, or a refusal (whose body the SDK's exception reads). Reading it
        /// disposes its body, which lets the HTTP response go (<see cref="BodyReleasingHandler"/>).
        /// </summary>
        private static bool IsWhole(PipelineMessage message) => message.Response is { } response && (message.BufferResponse || response.IsError);

        private void Watch(PipelineMessage message)
        {
            if (message.Response is not { ContentStream: { } body } response)
            {
                return;
            }

            var server = message.TryGetProperty(typeof(ServedBy), out var served) && served is Uri uri ? uri : httpClient.BaseAddress;
            response.ContentStream = new InferenceEventStream(body, server, httpClient);
        }
    }
}

/// <summary>
/// A streamed reply's body as it comes from inference. It ends with <see cref="InferenceException"/>
/// (<c>inference_stream_broken</c>) when it ends before <c>data: [DONE]</c>, or when no byte comes for
/// <see cref="InferenceClient.StallProbeInterval"/> and inference's <c>/alive</c> does not answer: a proxy in between
/// (Aspire's) can keep a dead service's connection open. A long prompt may keep the first token away for minutes: that
/// is fine while the service answers.
/// </summary>
internal sealed class InferenceEventStream(Stream inner, Uri? server, HttpClient probeClient) : ReadOnlyStreamWrapper(inner)
{
    private const int MaxWatchedLine = 32;
    private readonly byte[] _line = new byte[MaxWatchedLine];
    private int _lineLength;
    private bool _lineTooLong;
    private bool _done;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Observe(buffer, Inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = server is null ? await Inner.ReadAsync(buffer, cancellationToken) : await ReadWatchedAsync(buffer, cancellationToken);
        return Observe(buffer.Span, read);
    }

    private async ValueTask<int> ReadWatchedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = Inner.ReadAsync(buffer, stalled.Token);
        if (pending.IsCompleted)
        {
            return await pending;
        }

        var read = pending.AsTask();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (await Task.WhenAny(read, Task.Delay(InferenceClient.StallProbeInterval, wait.Token)) != read)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await IsAliveAsync(server!, cancellationToken) is { } reason)
            {
                await stalled.CancelAsync();
                await read.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw new InferenceException(HttpStatusCode.BadGateway, $"The inference service stopped answering during the reply: {reason}.", "inference_stream_broken");
            }
        }

        await wait.CancelAsync(); // the last delay's timer
        return await read;
    }

    /// <summary>Null when inference's <c>/alive</c> answers within a second; otherwise why not.</summary>
    private async Task<string?> IsAliveAsync(Uri address, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            using var probe = await probeClient.GetAsync(new Uri(address, ServiceDefaultsExtensions.AlivenessEndpointPath), timeout.Token);
            return probe.IsSuccessStatusCode ? null : $"its liveness check answered {(int)probe.StatusCode}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "it did not answer its liveness check within 1 s";
        }
        catch (HttpRequestException exception)
        {
            return exception.Message;
        }
    }

    /// <summary>Notes <c>data: [DONE]</c> going past; at the end without it, the reply was cut.</summary>
    private int Observe(ReadOnlySpan<byte> buffer, int read)
    {
        if (read == 0 && buffer.Length > 0)
        {
            return _done ? 0 : throw new InferenceException(HttpStatusCode.BadGateway, "The inference service ended the reply before it was complete.", "inference_stream_broken");
        }

        foreach (var b in buffer[..read])
        {
            if (b == (byte)'\n')
            {
                _done |= !_lineTooLong && IsDone(_line.AsSpan(0, _lineLength));
                _lineLength = 0;
                _lineTooLong = false;
            }
            else if (_lineLength < MaxWatchedLine)
            {
                _line[_lineLength++] = b;
            }
            else
            {
                _lineTooLong = true;
            }
        }

        return read;
    }

    private static bool IsDone(ReadOnlySpan<byte> line) =>
        line.StartsWith("data:"u8) && line["data:".Length..].Trim(" \r\t"u8).SequenceEqual("[DONE]"u8);

    public override async ValueTask DisposeAsync()
    {
        await Inner.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>A read-only, forward-only view of another stream; disposing it disposes the stream it wraps.</summary>
internal abstract class ReadOnlyStreamWrapper(Stream inner) : Stream
{
    protected Stream Inner { get; } = inner;

    public override bool CanRead => Inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
