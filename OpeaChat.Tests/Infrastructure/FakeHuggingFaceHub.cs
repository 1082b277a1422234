using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// A Hugging Face hub over real HTTP on loopback, for pulls: the file listing
/// (<c>GET /api/models/{org}/{repo}/tree/main?recursive=true</c>, entries with <c>type</c>, <c>path</c>, <c>size</c>,
/// <c>lfs.oid</c>) and <c>/{org}/{repo}/resolve/main/{file}</c>, which answers 302 to a second loopback host (the
/// "CDN") with <c>X-Linked-Etag</c> (the file's SHA-256, quoted) and <c>X-Linked-Size</c>, as the real hub does for
/// LFS files. The CDN serves the bytes with HTTP Range. Knobs play the hub's failures: a required token (401), gated
/// repositories (403), a connection cut after some bytes (once), a wrong advertised hash, a pause mid-file, a CDN
/// that ignores Range. Every request is recorded (server, path, Range, whether it carried a token).
/// </summary>
public sealed class FakeHuggingFaceHub : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;

    private readonly ConcurrentDictionary<string, HubFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HubRequest> _requests = new();
    private readonly HashSet<string> _gated = new(StringComparer.Ordinal);
    private readonly WebApplication _hub;
    private readonly WebApplication _cdn;
    private readonly TaskCompletionSource _pause = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _cutAfterBytes = -1;

    private FakeHuggingFaceHub(WebApplication hub, WebApplication cdn)
    {
        _hub = hub;
        _cdn = cdn;
    }

    /// <summary>The hub's address, what <c>HF_ENDPOINT</c> is set to (no trailing slash, as people write it).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The CDN's address, where resolve URLs redirect to.</summary>
    public Uri CdnAddress { get; private set; } = null!;

    /// <summary>When set, the hub answers 401 to any request without <c>Authorization: Bearer {token}</c>.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When true, the hub advertises a SHA-256 that is not the file's (in the listing and the resolve headers).</summary>
    public bool WrongHash { get; set; }

    /// <summary>When true, the CDN answers every request with the whole file (200), as a server without Range does.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>When set, the CDN stops after sending this many bytes of a response and waits for <see cref="Resume"/>.</summary>
    public long? PauseAfterBytes { get; set; }

    /// <summary>Every request either server received, in order.</summary>
    public IReadOnlyList<HubRequest> Requests => [.. _requests];

    /// <summary>Requests the CDN received for a file (the downloads).</summary>
    public IReadOnlyList<HubRequest> Downloads(string fileName) =>
        [.. _requests.Where(request => request.Server == "cdn" && request.Path.EndsWith("/" + fileName, StringComparison.Ordinal))];

    public static async Task<FakeHuggingFaceHub> StartAsync()
    {
        var hub = NewApp();
        var cdn = NewApp();
        var fake = new FakeHuggingFaceHub(hub, cdn);
        hub.MapGet("/api/models/{org}/{repo}/tree/{revision}", fake.TreeAsync);
        hub.MapMethods("/{org}/{repo}/resolve/{revision}/{**file}", ["GET", "HEAD"], fake.Resolve);
        cdn.MapMethods("/repos/{org}/{repo}/{**file}", ["GET", "HEAD"], fake.ServeAsync);
        await hub.StartAsync();
        await cdn.StartAsync();
        fake.Endpoint = AddressOf(hub).TrimEnd('/');
        fake.CdnAddress = new Uri(AddressOf(cdn).TrimEnd('/') + "/");
        return fake;
    }

    private static WebApplication NewApp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        return builder.Build();
    }

    private static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Serves bytes as <c>{repo}/{path}</c> (repo is <c>org/name</c>); returns their SHA-256 (hex).</summary>
    public string AddFile(string repo, string path, byte[] content)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        _files[repo + "/" + path] = new HubFile(repo, path, content, sha);
        return sha;
    }

    /// <summary>Serves the test model (stories260K) under any repository and file name.</summary>
    public string AddTestModel(string repo, string path) => AddFile(repo, path, File.ReadAllBytes(TestModel.Path));

    /// <summary>Makes a repository gated: every request for it gets 403 (the licence was not accepted).</summary>
    public void Gate(string repo)
    {
        lock (_gated)
        {
            _gated.Add(repo);
        }
    }

    /// <summary>The next CDN response sends this many bytes and then drops the connection (once).</summary>
    public void CutConnectionOnceAfter(long bytes) => Interlocked.Exchange(ref _cutAfterBytes, bytes);

    /// <summary>Ends when a CDN response has reached <see cref="PauseAfterBytes"/> and waits.</summary>
    public Task WaitUntilPausedAsync() => _paused.Task.WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Lets paused responses go on (and later ones run without a pause).</summary>
    public void Resume()
    {
        PauseAfterBytes = null;
        _pause.TrySetResult();
    }

    private bool IsGated(string repo)
    {
        lock (_gated)
        {
            return _gated.Contains(repo);
        }
    }

    private void Record(string server, HttpContext context) =>
        _requests.Enqueue(new HubRequest(server, context.Request.Method, context.Request.Path.Value ?? "", context.Request.Headers.Range.ToString() is { Length: > 0 } range ? range : null,
            context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization ? authorization : null));

    /// <summary>The hub's own checks, in its order: the token, then the repository, then the licence.</summary>
    private IResult? Refuse(HttpContext context, string repo, string revision)
    {
        if (RequiredToken is { } token && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
        {
            return Results.Json(new JsonObject { ["error"] = "Invalid username or password." }, statusCode: 401);
        }

        if (!_files.Values.Any(file => file.Repo == repo))
        {
            context.Response.Headers["X-Error-Code"] = "RepoNotFound";
            return Results.Json(new JsonObject { ["error"] = "Repository not found" }, statusCode: 404);
        }

        if (IsGated(repo))
        {
            context.Response.Headers["X-Error-Code"] = "GatedRepo";
            return Results.Json(new JsonObject { ["error"] = $"Access to model {repo} is restricted and you are not in the authorized list." }, statusCode: 403);
        }

        if (revision != "main")
        {
            context.Response.Headers["X-Error-Code"] = "RevisionNotFound";
            return Results.Json(new JsonObject { ["error"] = $"Invalid rev id: {revision}" }, statusCode: 404);
        }

        return null;
    }

    private string Advertised(HubFile file) => WrongHash ? Convert.ToHexStringLower(SHA256.HashData(file.Content.Reverse().ToArray())) : file.Sha256;

    private Task<IResult> TreeAsync(HttpContext context, string org, string repo, string revision)
    {
        Record("hub", context);
        var name = org + "/" + repo;
        if (Refuse(context, name, revision) is { } refusal)
        {
            return Task.FromResult(refusal);
        }

        var entries = new JsonArray();
        foreach (var file in _files.Values.Where(file => file.Repo == name).OrderBy(file => file.Path, StringComparer.Ordinal))
        {
            entries.Add(new JsonObject
            {
                ["type"] = "file",
                ["oid"] = Convert.ToHexStringLower(SHA1.HashData(file.Content)),
                ["size"] = file.Content.Length,
                ["lfs"] = new JsonObject { ["oid"] = Advertised(file), ["size"] = file.Content.Length, ["pointerSize"] = 134 },
                ["path"] = file.Path,
            });
        }

        // The real listing also has the repository's small files, which are not in LFS.
        entries.Add(new JsonObject { ["type"] = "file", ["oid"] = "0123456789abcdef0123456789abcdef01234567", ["size"] = 12, ["path"] = "README.md" });
        return Task.FromResult(Results.Json(entries));
    }

    private IResult Resolve(HttpContext context, string org, string repo, string revision, string file)
    {
        Record("hub", context);
        var name = org + "/" + repo;
        if (Refuse(context, name, revision) is { } refusal)
        {
            return refusal;
        }

        if (!_files.TryGetValue(name + "/" + file, out var entry))
        {
            context.Response.Headers["X-Error-Code"] = "EntryNotFound";
            return Results.Json(new JsonObject { ["error"] = "Entry not found" }, statusCode: 404);
        }

        context.Response.Headers["X-Linked-Etag"] = $"\"{Advertised(entry)}\"";
        context.Response.Headers["X-Linked-Size"] = entry.Content.Length.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.ETag = "W/\"" + Convert.ToHexStringLower(SHA1.HashData(entry.Content)) + "\"";
        context.Response.Headers["X-Repo-Commit"] = "4c1b1b5c0f0c6a0f1e6a86e5a6b5d5f4c3b2a190";
        return Results.Redirect(new Uri(CdnAddress, $"repos/{name}/{file}?X-Amz-Signature=fake").ToString());
    }

    private async Task ServeAsync(HttpContext context, string org, string repo, string file)
    {
        Record("cdn", context);
        if (!_files.TryGetValue($"{org}/{repo}/{file}", out var entry))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var content = entry.Content;
        long start = 0;
        var end = content.Length - 1L;
        if (!IgnoreRange && RangeHeaderValue.TryParse(context.Request.Headers.Range.ToString(), out var range) && range.Ranges.Count == 1)
        {
            var item = range.Ranges.First();
            start = item.From ?? 0;
            end = Math.Min(item.To ?? end, end);
            if (start > end)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }

            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{end}/{content.Length}";
        }

        // A CDN's ETag is its own (an S3 multipart hash), not the file's SHA-256: the client must read the hub's.
        context.Response.Headers.ETag = "\"cdn-" + entry.Sha256[..8] + "-1\"";
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = end - start + 1;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var cut = Interlocked.Exchange(ref _cutAfterBytes, -1);
        var pauseAt = PauseAfterBytes;
        long sent = 0;
        var offset = start;
        while (offset <= end)
        {
            var length = (int)Math.Min(ChunkBytes, end - offset + 1);
            if (cut >= 0 && sent + length >= cut)
            {
                await context.Response.Body.WriteAsync(content.AsMemory((int)offset, (int)(cut - sent)));
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }

            var pausing = pauseAt is { } pause && sent + length >= pause;
            if (pausing)
            {
                length = (int)(pauseAt!.Value - sent);
            }

            await context.Response.Body.WriteAsync(content.AsMemory((int)offset, length));
            offset += length;
            sent += length;
            if (pausing)
            {
                pauseAt = null;
                await context.Response.Body.FlushAsync();
                _paused.TrySetResult();
                try
                {
                    await _pause.Task.WaitAsync(context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pause.TrySetResult();
        await _hub.DisposeAsync();
        await _cdn.DisposeAsync();
    }

    private sealed record HubFile(string Repo, string Path, byte[] Content, string Sha256);
}

/// <summary>One request the fake hub or its CDN received.</summary>
/// <param name="Server"><c>hub</c> or <c>cdn</c>.</param>
/// <param name="Authorization">The Authorization header as sent, or null.</param>
public sealed record HubRequest(string Server, string Method, string Path, string? Range, string? Authorization);
