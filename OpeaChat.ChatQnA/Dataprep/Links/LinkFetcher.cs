using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Dataprep.Links;

/// <summary>A link that may not be fetched, or whose answer cannot be used.</summary>
public sealed class LinkRefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A fetched page: its bytes, its content type and the address it finally came from.</summary>
public sealed record FetchedLink(byte[] Content, string? ContentType, Uri FinalUri);

/// <summary>
/// Fetches the pages of <c>link_list</c> safely (server-side request forgery, see docs/security.md): http and https only;
/// every address a name resolves to is checked when the connection is made (so DNS rebinding cannot slip a private
/// address past an earlier check) and loopback, private, link-local and other non-public ranges are refused unless
/// <see cref="DataprepOptions.AllowPrivateLinks"/>; redirects are followed by hand, each hop checked again; the time
/// and the size of the answer are bounded.
/// </summary>
public sealed class LinkFetcher(IHttpClientFactory clients, IOptions<DataprepOptions> options)
{
    public const string HttpClientName = "dataprep-links";

    /// <summary>Why <paramref name="link"/> cannot be fetched at all (scheme, form), or null.</summary>
    public static string? Problem(string link) =>
        !Uri.TryCreate(link, UriKind.Absolute, out var uri) ? $"'{link}' is not an absolute URL."
        : uri.Scheme is not ("http" or "https") ? $"'{link}' is not an http or https link."
        : !string.IsNullOrEmpty(uri.UserInfo) ? $"'{link}' has a user name or password in it; those are not sent."
        : null;

    public async Task<FetchedLink> FetchAsync(Uri link, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.LinkTimeout);
        var client = clients.CreateClient(HttpClientName);
        var uri = link;
        try
        {
            for (var hop = 0; ; hop++)
            {
                if (Problem(uri.ToString()) is { } problem)
                {
                    throw new LinkRefusedException(problem);
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.UserAgent.Add(new ProductInfoHeaderValue("OpeaChat-Dataprep", "1.0"));
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop >= options.Value.MaxRedirects)
                    {
                        throw new LinkRefusedException($"{link} redirects more than {options.Value.MaxRedirects} times.");
                    }

                    uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new LinkRefusedException($"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                }

                var limit = options.Value.MaxLinkBytes;
                if (response.Content.Headers.ContentLength > limit)
                {
                    throw new LinkRefusedException($"{uri} sends {response.Content.Headers.ContentLength} bytes; at most {limit} are read (ChatQnA:Dataprep:MaxLinkBytes).");
                }

                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
                {
                    if (buffer.Length + read > limit)
                    {
                        throw new LinkRefusedException($"{uri} sends more than {limit} bytes (ChatQnA:Dataprep:MaxLinkBytes).");
                    }

                    buffer.Write(chunk, 0, read);
                }

                return new FetchedLink(buffer.ToArray(), response.Content.Headers.ContentType?.MediaType, uri);
            }
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LinkRefusedException($"{uri} did not answer within {options.Value.LinkTimeout.TotalSeconds:0} s (ChatQnA:Dataprep:LinkTimeout).", exception);
        }
        catch (HttpRequestException exception) when (exception.InnerException is LinkRefusedException refused)
        {
            throw refused;
        }
        catch (HttpRequestException exception)
        {
            throw new LinkRefusedException($"{uri} could not be fetched: {exception.Message}", exception);
        }
    }

    /// <summary>The handler of the links' HTTP client: no automatic redirects, and every connection's address checked.</summary>
    public static SocketsHttpHandler CreateHandler(IServiceProvider services) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var allowPrivate = services.GetRequiredService<IOptions<DataprepOptions>>().Value.AllowPrivateLinks;
            var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            if (!allowPrivate && addresses.FirstOrDefault(address => !IsPublic(address)) is { } refused)
            {
                throw new LinkRefusedException(
                    $"{context.DnsEndPoint.Host} is at {refused}, a loopback, private or link-local address: links may only reach public addresses (ChatQnA:Dataprep:AllowPrivateLinks).");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Connect to the very addresses checked above, never to a fresh lookup.
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>False for loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified, multicast and other special ranges.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 198 && b[1] is 18 or 19));
        }

        var bytes = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
            || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8)
            || (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b));
    }
}
