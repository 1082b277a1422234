using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>A file of a hub repository, from its listing; <see cref="Sha256"/> is the LFS object id (null for non-LFS files).</summary>
public sealed record HubFileEntry(string Path, long Size, string? Sha256);

/// <summary>An open download: the body from <see cref="Offset"/> on (0 when the server ignored the Range).</summary>
public sealed class HubDownload(HttpResponseMessage response, Stream content, long offset, long? totalLength, string? sha256) : IDisposable
{
    public Stream Content { get; } = content;

    public long Offset { get; } = offset;

    public long? TotalLength { get; } = totalLength;

    /// <summary>The SHA-256 the hub gave in <c>X-Linked-Etag</c> (or an ETag that is one), lower-case hex.</summary>
    public string? Sha256 { get; } = sha256;

    public void Dispose()
    {
        Content.Dispose();
        response.Dispose();
    }
}

/// <summary>
/// The Hugging Face hub's HTTP API as huggingface_hub and llama.cpp use it: the file listing
/// <c>GET /api/models/{org}/{repo}/tree/main?recursive=true</c> (paged by <c>Link: rel="next"</c>) and the file
/// <c>GET /{org}/{repo}/resolve/main/{path}</c>, which redirects LFS files to a CDN. Redirects are followed here, not
/// by the handler, so that the SHA-256 in the hub's <c>X-Linked-Etag</c> is read from the redirect itself and the
/// token goes to the hub only, never to the CDN's host.
/// </summary>
public sealed partial class HuggingFaceHub(HttpClient http, IOptions<ModelDownloadOptions> options)
{
    private const int MaxRedirects = 10;
    private readonly ModelDownloadOptions _options = options.Value;

    public Uri Endpoint { get; } = new((string.IsNullOrWhiteSpace(options.Value.Endpoint) ? ModelDownloadOptions.DefaultEndpoint : options.Value.Endpoint).TrimEnd('/') + "/");

    /// <summary>The repository's page, where a person accepts a gated model's licence.</summary>
    public Uri PageOf(ModelReference reference) => new(Endpoint, reference.RepositoryId);

    public async Task<IReadOnlyList<HubFileEntry>> ListFilesAsync(ModelReference reference, CancellationToken cancellationToken)
    {
        var files = new List<HubFileEntry>();
        Uri? next = new(Endpoint, $"api/models/{Escape(reference.Organization)}/{Escape(reference.Repository)}/tree/main?recursive=true");
        while (next is not null)
        {
            var (response, _) = await SendAsync(next, null, reference, cancellationToken);
            using var owned = response;
            var entries = await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken), HubJsonContext.Default.HubTreeEntryArray, cancellationToken)
                ?? [];
            files.AddRange(entries.Where(entry => entry.Type == "file" && entry.Path is not null)
                .Select(entry => new HubFileEntry(entry.Path!, entry.Lfs?.Size ?? entry.Size, NormalizeSha(entry.Lfs?.Oid))));
            next = NextPage(response, next);
        }

        return files;
    }

    /// <summary>Opens a file for reading from <paramref name="offset"/> (HTTP Range), following the hub's redirect.</summary>
    public async Task<HubDownload> OpenAsync(ModelReference reference, string path, long offset, CancellationToken cancellationToken)
    {
        var uri = new Uri(Endpoint, $"{Escape(reference.Organization)}/{Escape(reference.Repository)}/resolve/main/{string.Join('/', path.Split('/').Select(Escape))}");
        var (response, linkedEtag) = await SendAsync(uri, offset > 0 ? offset : null, reference, cancellationToken);
        try
        {
            var sha = linkedEtag ?? NormalizeSha(response.Headers.ETag?.Tag);
            long start = 0;
            long? total = response.Content.Headers.ContentLength;
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { } range)
            {
                start = range.From ?? 0;
                total = range.Length;
            }

            var content = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new HubDownload(response, content, start, total, sha);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>A GET that follows redirects itself; any status but success is turned into the pull's error.</summary>
    private async Task<(HttpResponseMessage Response, string? LinkedEtag)> SendAsync(Uri uri, long? rangeFrom, ModelReference reference, CancellationToken cancellationToken)
    {
        string? linkedEtag = null;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (rangeFrom is { } from)
            {
                request.Headers.Range = new RangeHeaderValue(from, null);
            }

            // The token is for the hub; a CDN gets a signed URL and must never see it.
            if (Token is { } token && string.Equals(uri.Authority, Endpoint.Authority, StringComparison.OrdinalIgnoreCase) && uri.Scheme == Endpoint.Scheme)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException exception)
            {
                throw new ModelPullException(ModelPullException.HubUnreachable, StatusCodes.Status502BadGateway,
                    $"Could not reach {uri.GetLeftPart(UriPartial.Authority)}: {exception.Message} Check the network (or HF_ENDPOINT).", transient: true);
            }

            if (response.Headers.TryGetValues("X-Linked-Etag", out var values))
            {
                linkedEtag = NormalizeSha(values.FirstOrDefault()) ?? linkedEtag;
            }

            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects)
                {
                    throw new ModelPullException(ModelPullException.HubError, StatusCodes.Status502BadGateway, $"The hub redirected more than {MaxRedirects} times for {reference}.");
                }

                uri = new Uri(uri, location);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return (response, linkedEtag);
            }

            using (response)
            {
                throw Refusal(response, reference, status);
            }
        }
    }

    private string? Token => !string.IsNullOrWhiteSpace(_options.Token) ? _options.Token.Trim() : null;

    private ModelPullException Refusal(HttpResponseMessage response, ModelReference reference, int status)
    {
        var errorCode = response.Headers.TryGetValues("X-Error-Code", out var codes) ? codes.FirstOrDefault() : null;
        var page = PageOf(reference);
        if (errorCode == "GatedRepo" || status == 403)
        {
            return new ModelPullException(ModelPullException.Gated, StatusCodes.Status403Forbidden,
                $"{reference.RepositoryId} is a gated model: accept the licence on the model page at {page} with your Hugging Face account, " +
                "then set HF_TOKEN to a token of that account and pull again.");
        }

        return status switch
        {
            401 => new ModelPullException(ModelPullException.Unauthorized, StatusCodes.Status401Unauthorized,
                Token is null
                    ? $"The hub needs a token for {reference.RepositoryId} (401): it is private, or it does not exist. Check the name at {page}; for a private model set HF_TOKEN to a Hugging Face access token that can read it."
                    : $"The hub refused the token in HF_TOKEN for {reference.RepositoryId} (401): it is wrong or expired, or it cannot read this repository. Check it at {Endpoint}settings/tokens."),
            404 when errorCode == "EntryNotFound" => new ModelPullException(ModelPullException.NotFound, StatusCodes.Status404NotFound,
                $"{reference.RepositoryId} has no file '{reference.Tag}' (404). The repository's files are listed at {page}/tree/main."),
            404 => new ModelPullException(ModelPullException.NotFound, StatusCodes.Status404NotFound,
                $"The hub has no model {reference.RepositoryId} (404). Check the organisation and repository names at {page}."),
            429 or >= 500 => new ModelPullException(ModelPullException.HubUnreachable, StatusCodes.Status502BadGateway,
                $"The hub answered {status} for {reference.RepositoryId}; try again later.", transient: true),
            _ => new ModelPullException(ModelPullException.HubError, StatusCodes.Status502BadGateway,
                $"The hub answered {status} for {reference.RepositoryId}."),
        };
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    /// <summary><c>"abc…"</c>, <c>W/"abc…"</c> or bare: the hex SHA-256 inside, or null when it is not one (a git oid, a CDN's own tag).</summary>
    public static string? NormalizeSha(string? tag)
    {
        if (tag is null)
        {
            return null;
        }

        var value = tag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        return Sha256Hex().IsMatch(value) ? value.ToLowerInvariant() : null;
    }

    private static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links.SelectMany(value => value.Split(',')))
        {
            var match = NextLink().Match(link);
            if (match.Success)
            {
                return new Uri(current, match.Groups["url"].Value);
            }
        }

        return null;
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("<(?<url>[^>]+)>\\s*;\\s*rel=\"?next\"?")]
    private static partial Regex NextLink();
}

internal sealed record HubTreeEntry
{
    public string? Type { get; init; }

    public string? Path { get; init; }

    public long Size { get; init; }

    public HubLfs? Lfs { get; init; }
}

internal sealed record HubLfs
{
    public string? Oid { get; init; }

    public long Size { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HubTreeEntry[]))]
internal sealed partial class HubJsonContext : JsonSerializerContext;
